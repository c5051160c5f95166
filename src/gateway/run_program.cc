#include "gateway/run_program.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

extern char** environ;

namespace sendguard {
namespace {

using Clock = std::chrono::steady_clock;

// Closes a descriptor once, whichever way the function is left.
struct Descriptor {
  int fd = -1;
  ~Descriptor() { reset(); }
  void reset() {
    if (fd >= 0) close(fd);
    fd = -1;
  }
};

}  // namespace

Result<ProgramResult> run_program(const std::vector<std::string>& argv, std::string_view input,
                                  std::chrono::milliseconds time_limit) {
  if (argv.empty() || argv[0].empty()) return make_error(ErrorCode::kInvalidInput, "no program");
  int in_fds[2], out_fds[2];
  if (pipe2(in_fds, O_CLOEXEC) != 0) return make_error(ErrorCode::kIo, "cannot create a pipe");
  Descriptor in_read{in_fds[0]}, in_write{in_fds[1]};
  if (pipe2(out_fds, O_CLOEXEC) != 0) return make_error(ErrorCode::kIo, "cannot create a pipe");
  Descriptor out_read{out_fds[0]}, out_write{out_fds[1]};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_read.fd, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_write.fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_write.fd, STDERR_FILENO);
  // The milter's sockets and the database are not the child's business.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  // The caller may block or ignore SIGPIPE (the notice sender blocks it while it writes); the
  // child starts with a clean slate.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawn(&pid, args[0], &actions, &attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (rc != 0)
    return make_error(ErrorCode::kIo, "cannot run " + argv[0] + ": " + std::strerror(rc));
  in_read.reset();
  out_write.reset();
  if (input.empty()) in_write.reset();  // the program sees end of input at once
  if (in_write.fd >= 0) fcntl(in_write.fd, F_SETFL, O_NONBLOCK);

  // A write to a program that exited without reading everything must fail with EPIPE, not
  // end this process: SIGPIPE is blocked in this thread while it writes, and any SIGPIPE that
  // became pending is taken back before the mask is restored.
  sigset_t pipe_signal, previous;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, &previous);

  ProgramResult result;
  Clock::time_point deadline = Clock::now() + time_limit;
  std::size_t written = 0;
  std::array<char, 4096> buffer;
  while (out_read.fd >= 0) {
    std::array<pollfd, 2> fds{pollfd{out_read.fd, POLLIN, 0}, pollfd{in_write.fd, POLLOUT, 0}};
    int wait_ms = -1;
    if (time_limit.count() > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        result.timed_out = true;
        kill(pid, SIGKILL);
        break;
      }
      wait_ms = static_cast<int>(left.count());
    }
    int ready = poll(fds.data(), in_write.fd >= 0 ? 2 : 1, wait_ms);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    if (in_write.fd >= 0 && fds[1].revents != 0) {
      ssize_t n = write(in_write.fd, input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) {
        in_write.reset();
      }
    }
    if (fds[0].revents != 0) {
      ssize_t n = read(out_read.fd, buffer.data(), buffer.size());
      if (n > 0) {
        if (result.output.size() < (1u << 20)) result.output.append(buffer.data(), n);
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        out_read.reset();
      }
    }
  }
  in_write.reset();
  siginfo_t info;
  timespec no_wait{0, 0};
  while (sigtimedwait(&pipe_signal, &info, &no_wait) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);

  int status = 0;
  // The program closed its output; it may still be running (or it may be over time and killed).
  for (;;) {
    pid_t done = waitpid(pid, &status, time_limit.count() > 0 ? WNOHANG : 0);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) break;
    if (done == 0) {
      if (Clock::now() >= deadline && !result.timed_out) {
        result.timed_out = true;
        kill(pid, SIGKILL);
      }
      usleep(10'000);
    }
  }
  result.status = WIFEXITED(status)     ? WEXITSTATUS(status)
                  : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                        : 128;
  return result;
}

}  // namespace sendguard
