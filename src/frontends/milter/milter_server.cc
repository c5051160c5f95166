#include "frontends/milter/milter_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace sendguard::milter {
namespace {

using Clock = std::chrono::steady_clock;

// Bytes read per read() call; a burst from the MTA (a whole 64 KiB body chunk and the packets
// around it) usually fits in one.
constexpr std::size_t kReadBytes = 128 << 10;

std::string errno_text(int error) { return std::strerror(error); }

struct ListenSpec {
  enum class Kind { kInet, kInet6, kUnix } kind = Kind::kInet;
  std::string host;  // inet: empty for every address
  std::string port;
  std::string path;  // unix
};

Result<ListenSpec> parse_listen(const std::string& spec) {
  ListenSpec out;
  std::size_t colon = spec.find(':');
  if (colon == std::string::npos) {
    return make_error(
        ErrorCode::kConfig,
        "listen address '" + spec + "' is not inet:PORT@HOST, inet6:PORT@HOST or unix:PATH");
  }
  std::string scheme = spec.substr(0, colon), rest = spec.substr(colon + 1);
  if (scheme == "unix" || scheme == "local") {
    out.kind = ListenSpec::Kind::kUnix;
    out.path = rest;
    if (out.path.empty() || out.path.size() >= sizeof(sockaddr_un::sun_path)) {
      return make_error(ErrorCode::kConfig,
                        "listen address '" + spec + "': bad or too long socket path");
    }
    return out;
  }
  if (scheme != "inet" && scheme != "inet6") {
    return make_error(ErrorCode::kConfig,
                      "listen address '" + spec + "': unknown kind '" + scheme + "'");
  }
  out.kind = scheme == "inet" ? ListenSpec::Kind::kInet : ListenSpec::Kind::kInet6;
  std::size_t at = rest.find('@');
  out.port = rest.substr(0, at);
  if (at != std::string::npos) out.host = rest.substr(at + 1);
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']')
    out.host = out.host.substr(1, out.host.size() - 2);
  if (out.port.empty() ||
      !std::all_of(out.port.begin(), out.port.end(),
                   [](unsigned char c) { return c >= '0' && c <= '9'; }) ||
      std::stoul(out.port.substr(0, 6)) > 65535) {
    return make_error(ErrorCode::kConfig, "listen address '" + spec + "': bad port");
  }
  return out;
}

// A listening socket, non-blocking. Two TCP options are set on it, and Linux copies both to the
// connections it accepts: TCP_NODELAY, because a reply of several packets (headers to add, then
// continue) must not wait for the MTA's delayed ACK between them; and TCP_MAXSEG (below).
Result<int> open_listener(const ListenSpec& spec, int socket_mode, int* port) {
  *port = 0;
  if (spec.kind == ListenSpec::Kind::kUnix) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return make_error(ErrorCode::kIo, "socket: " + errno_text(errno));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, spec.path.c_str(), spec.path.size() + 1);
    // A socket left by an earlier run (killed, or crashed) would stop bind; only a socket is
    // removed, never another kind of file.
    struct stat st {};
    if (lstat(spec.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) unlink(spec.path.c_str());
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        listen(fd, SOMAXCONN) != 0) {
      int error = errno;
      close(fd);
      return make_error(ErrorCode::kIo, "cannot listen on " + spec.path + ": " + errno_text(error));
    }
    // The MTA's user must be able to write to the socket; the umask would decide otherwise.
    if (chmod(spec.path.c_str(), static_cast<mode_t>(socket_mode)) != 0) {
      int error = errno;
      close(fd);
      unlink(spec.path.c_str());
      return make_error(ErrorCode::kIo,
                        "cannot set the mode of " + spec.path + ": " + errno_text(error));
    }
    return fd;
  }
  addrinfo hints{};
  hints.ai_family = spec.kind == ListenSpec::Kind::kInet ? AF_INET : AF_INET6;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  int status = getaddrinfo(spec.host.empty() ? nullptr : spec.host.c_str(), spec.port.c_str(),
                           &hints, &found);
  if (status != 0) {
    return make_error(ErrorCode::kConfig,
                      "cannot resolve listen host '" + spec.host + "': " + gai_strerror(status));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(found, freeaddrinfo);
  int fd = socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(ErrorCode::kIo, "socket: " + errno_text(errno));
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0) {
    spdlog::warn(
        "cannot set TCP_NODELAY on the milter socket: replies may be delayed by about 40 ms");
  }
  // Postfix sizes each milter stream's buffer at twice the connection's MSS. Over loopback the
  // MSS is 32 to 64 KB, so every connection would get buffers of 64 to 128 KB that Postfix fills
  // on allocation and the kernel faults in, in the smtpd and again in the cleanup server: that
  // cost Postfix more CPU a message than sendguard's whole decision (docs/BENCHMARKS.md). Milter
  // packets are small, so advertising an Ethernet-sized segment costs nothing.
  int segment = kAdvertisedSegmentBytes;
  if (setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &segment, sizeof segment) != 0) {
    spdlog::warn("cannot set TCP_MAXSEG on the milter socket: Postfix may use larger buffers");
  }
  if (bind(fd, found->ai_addr, found->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
    int error = errno;
    close(fd);
    return make_error(ErrorCode::kIo, fmt::format("cannot listen on port {} of '{}' ({}; in use?)",
                                                  spec.port, spec.host, errno_text(error)));
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) == 0) {
    *port = bound.ss_family == AF_INET ? ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port)
                                       : ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  }
  return fd;
}

// Writes as much of `bytes` as the socket takes now, without waiting. Returns how many bytes
// were written, or std::nullopt when the connection failed.
std::optional<std::size_t> send_what_fits(int fd, std::string_view bytes) {
  std::size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n =
        send(fd, bytes.data() + written, bytes.size() - written, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      written += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    spdlog::debug("milter: cannot write to the MTA: {}", errno_text(errno));
    return std::nullopt;
  }
  return written;
}

}  // namespace

struct Connection {
  explicit Connection(int fd, const SessionOptions& options) : fd(fd), session(options) {}
  int fd;
  Session session;
  std::string out;            // replies not yet written
  std::size_t out_start = 0;  // written bytes at the front of out
  bool writing = false;       // EPOLLOUT requested
  // A decision runs on a thread of its own: the session is that thread's until the decision
  // completes. `busy`, `gone`, `early_input` and, once busy was set, `last_input` are shared
  // between it and the loop, under Impl::mutex.
  std::atomic<bool> busy{false};
  Session::Step decision = Session::Step::kNeedInput;
  // Nothing was waiting to be written when the decision started, so the deciding thread may
  // write its reply itself (else the loop appends it behind what is pending).
  bool direct = false;
  RcptOutcome rcpt_outcome;
  MessageOutcome message_outcome;
  std::string reply;        // the decision's reply, or what of it the socket did not take
  std::string early_input;  // bytes that arrived while busy
  bool gone = false;        // the MTA closed, or the connection failed: free it once not busy
  Clock::time_point last_input = Clock::now();
};

// The threads take turns at the event loop (leader and followers): one leads, waiting on epoll
// and handling what comes in; when a connection needs a decision, the leader hands the loop to
// the next thread and makes the decision itself, then writes the reply. So a decision starts on
// the thread that read its last packet and its reply leaves from there: no hand-off to a worker
// and back, two thread wake-ups fewer on the reply's path (on a busy or virtualised machine,
// each can cost a millisecond). The loop state (the connections, the listener, the events not
// yet handled, the decisions waiting) belongs to whoever holds `leader_mutex`. One thread more
// than the decisions allowed at once (ServerOptions::workers) keeps the loop served while every
// other thread decides.
struct Server::Impl {
  Impl(const ServerOptions& options, Decider& decider) : options(options), decider(decider) {}

  ServerOptions options;
  Decider& decider;
  ListenSpec spec;
  int listener = -1;
  bool listener_watched = false;
  int epoll = -1;
  int wake = -1;  // eventfd: completions for the loop, room for a waiting decision, stop()
  std::atomic<bool> stop_requested{false};
  std::size_t decision_threads = 1;  // decisions allowed at once

  // The loop state, the leader's.
  std::mutex leader_mutex;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections;
  std::vector<epoll_event> events = std::vector<epoll_event>(256);
  std::size_t next_event = 0, event_count = 0;  // the batch being handled
  std::deque<Connection*> to_decide;            // busy, their decision not started
  bool stopping = false, finished = false;
  Clock::time_point deadline{};
  Clock::time_point next_sweep = Clock::now() + std::chrono::seconds(1);
  std::string read_buffer = std::string(kReadBytes, '\0');

  // Shared between the loop and the deciding threads.
  std::mutex mutex;
  std::vector<Connection*> completed;  // decisions the loop must finish (see complete())
  std::atomic<std::size_t> deciding{0};
  std::atomic<std::size_t> waiting_decisions{0};  // to_decide.size(), for deciding threads

  // Tags for epoll's data.ptr that are not connections.
  char listener_tag = 0, wake_tag = 0;

  void notify_loop() {
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wake, &one, sizeof one);
  }

  void watch_listener(bool on) {
    if (listener < 0 || on == listener_watched) return;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = &listener_tag;
    epoll_ctl(epoll, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, listener, &event);
    listener_watched = on;
  }

  void close_listener() {
    if (listener < 0) return;
    watch_listener(false);
    close(listener);
    listener = -1;
    if (spec.kind == ListenSpec::Kind::kUnix) unlink(spec.path.c_str());
  }

  void accept_all() {
    while (true) {
      int fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        if (errno == EINTR || errno == ECONNABORTED) continue;
        // Out of descriptors or memory: stop accepting until the next sweep, a second from
        // now, rather than spin on a listener that stays readable.
        spdlog::warn("milter: cannot accept a connection: {}; pausing for a second",
                     errno_text(errno));
        watch_listener(false);
        return;
      }
      auto connection = std::make_unique<Connection>(fd, options.session);
      epoll_event event{};
      event.events = EPOLLIN | EPOLLRDHUP;
      event.data.ptr = connection.get();
      if (epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) != 0) {
        spdlog::warn("milter: cannot watch a new connection: {}", errno_text(errno));
        close(fd);
        continue;
      }
      Connection* c = connection.get();
      connections.emplace(c, std::move(connection));
    }
  }

  void destroy(Connection* c) {
    epoll_ctl(epoll, EPOLL_CTL_DEL, c->fd, nullptr);
    close(c->fd);
    connections.erase(c);
  }

  // Closes the connection now, or marks it to be freed when its decision completes.
  void drop(Connection* c) {
    {
      std::lock_guard lock(mutex);
      if (c->busy) {
        if (!c->gone) {
          c->gone = true;
          epoll_ctl(epoll, EPOLL_CTL_DEL, c->fd, nullptr);
        }
        return;
      }
    }
    destroy(c);
  }

  void set_writing(Connection* c, bool on) {
    if (c->writing == on) return;
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP | (on ? static_cast<std::uint32_t>(EPOLLOUT) : 0u);
    event.data.ptr = c;
    epoll_ctl(epoll, EPOLL_CTL_MOD, c->fd, &event);
    c->writing = on;
  }

  // Writes what is pending in one call; what the socket does not take waits for EPOLLOUT.
  // Returns false when the connection failed.
  bool flush(Connection* c) {
    auto written = send_what_fits(c->fd, std::string_view(c->out).substr(c->out_start));
    if (!written) {
      c->out.clear();
      c->out_start = 0;
      return false;
    }
    c->out_start += *written;
    if (c->out_start < c->out.size()) {
      set_writing(c, true);
      return true;
    }
    c->out.clear();
    c->out_start = 0;
    set_writing(c, false);
    return true;
  }

  // Handles the session's complete packets: replies, or a decision queued for a thread.
  // Returns false when the connection is to be closed.
  bool drive(Connection* c) {
    Session::Step step = c->session.advance(c->out);
    // Recipients the decider can answer at once are answered here, and the session goes on.
    while (step == Session::Step::kDecideRecipient) {
      std::optional<RcptOutcome> quick = quick_recipient(c);
      if (!quick) break;
      c->session.finish_recipient(*quick, c->out);
      step = c->session.advance(c->out);
    }
    if (step == Session::Step::kClose && !c->session.close_reason().empty())
      spdlog::warn("milter: closing the connection: {}", c->session.close_reason());
    if (!flush(c)) return false;
    if (step == Session::Step::kDecideRecipient || step == Session::Step::kDecideMessage) {
      c->decision = step;
      c->direct = c->out_start == c->out.size();
      {
        std::lock_guard lock(mutex);
        c->busy = true;
      }
      to_decide.push_back(c);
      waiting_decisions.fetch_add(1);
    }
    return step != Session::Step::kClose;
  }

  // While stopping, a connection without a message in flight is closed at once.
  bool idle(const Connection* c) const {
    return !c->busy && !c->session.in_transaction() && c->out_start == c->out.size();
  }

  void on_event(Connection* c, std::uint32_t events_seen) {
    if (events_seen & EPOLLOUT) {
      if (!flush(c)) return drop(c);
      if (stop_requested && idle(c)) return drop(c);
    }
    if (!(events_seen & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) return;
    std::string& buffer = read_buffer;
    bool closed = false;
    // Whether the bytes are held for after the decision: a deciding thread may finish with the
    // connection at any moment, so this is asked under the mutex until it says no.
    bool held = c->busy;
    std::size_t early_bytes = 0;
    while (true) {
      ssize_t n = read(c->fd, buffer.data(), buffer.size());
      if (n > 0) {
        std::string_view bytes(buffer.data(), static_cast<std::size_t>(n));
        if (held) {
          std::lock_guard lock(mutex);
          held = c->busy;
          if (held) {
            c->early_input.append(bytes);
            early_bytes = c->early_input.size();
          }
        }
        if (!held) c->session.receive(bytes);
        if (static_cast<std::size_t>(n) < buffer.size()) break;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      closed = true;  // end of stream, or a reset
      break;
    }
    if (held) {
      // The MTA waits for our reply to RCPT and to the end of the message; more than a
      // packet's worth meanwhile is not the protocol.
      if (early_bytes > options.session.max_packet_bytes + kReadBytes) {
        spdlog::warn("milter: the MTA sent {} bytes while waiting for a reply; closing",
                     early_bytes);
        return drop(c);
      }
      if (closed) drop(c);
      return;
    }
    c->last_input = Clock::now();
    bool keep = drive(c);
    if (!keep || closed) return drop(c);
    if (stop_requested && idle(c)) drop(c);
  }

  // The loop's part of a completed decision: the reply not yet written, the bytes that came
  // meanwhile, the packets after them.
  void on_completed(Connection* c) {
    {
      std::lock_guard lock(mutex);
      c->busy = false;
    }
    if (c->gone) return destroy(c);
    c->out.append(c->reply);
    c->reply.clear();
    if (!c->early_input.empty()) {
      c->session.receive(c->early_input);
      c->early_input.clear();
    }
    c->last_input = Clock::now();
    if (!drive(c)) return drop(c);
    if (stop_requested && idle(c)) drop(c);
  }

  std::optional<RcptOutcome> quick_recipient(Connection* c) {
    const Session& s = c->session;
    try {
      return decider.quick_recipient(s.transaction(), s.recipient());
    } catch (const std::exception& e) {
      // on_recipient() on a deciding thread decides it again, with the gateway's own error
      // handling.
      spdlog::debug("milter: quick recipient check failed ({}); deciding in full", e.what());
      return std::nullopt;
    }
  }

  // On a deciding thread, without the loop.
  void decide(Connection* c) {
    const Session& s = c->session;
    // The gateway catches its own errors and applies gateway.on_failure; an exception here
    // would be a bug outside it, answered by asking the MTA to retry rather than by a crash.
    try {
      if (c->decision == Session::Step::kDecideRecipient) {
        c->rcpt_outcome = decider.on_recipient(s.transaction(), s.recipient());
      } else {
        c->message_outcome = decider.on_message(s.transaction(), s.message());
      }
    } catch (const std::exception& e) {
      spdlog::error("milter: unexpected error deciding: {}", e.what());
      const char* text = "sendguard could not check this just now; please try again later";
      c->rcpt_outcome = {RcptOutcome::Verb::kTempfail, text};
      c->message_outcome = MessageOutcome{};
      c->message_outcome.verb = MessageOutcome::Verb::kTempfail;
      c->message_outcome.reply = text;
    }
  }

  // On the deciding thread: turns the decision into its reply and writes it, and gives the
  // connection back. Usually nothing is left for the loop; otherwise (the reply did not fit
  // in the socket, bytes came meanwhile, the MTA left, a stop) the loop finishes it.
  void complete(Connection* c) {
    if (c->decision == Session::Step::kDecideRecipient) {
      c->session.finish_recipient(c->rcpt_outcome, c->reply);
    } else {
      c->session.finish_message(c->message_outcome, c->reply);
      c->message_outcome = MessageOutcome{};
    }
    c->decision = Session::Step::kNeedInput;
    bool gone;
    {
      std::lock_guard lock(mutex);
      gone = c->gone;
    }
    bool failed = false;
    if (c->direct && !gone) failed = !write_reply(c);
    bool wake_loop = false;
    {
      std::lock_guard lock(mutex);
      bool left_for_loop = c->gone || failed || !c->reply.empty() || !c->early_input.empty() ||
                           c->session.buffered() > 0 || stop_requested;
      if (failed) c->gone = true;
      if (left_for_loop) {
        wake_loop = completed.empty();  // one wake-up for completions that pile up
        completed.push_back(c);
      } else {
        c->busy = false;
        c->last_input = Clock::now();
      }
    }
    if (wake_loop) notify_loop();
  }

  // Writes the reply from the deciding thread; what the socket does not take stays in
  // c->reply. False when the connection failed.
  static bool write_reply(Connection* c) {
    auto written = send_what_fits(c->fd, c->reply);
    if (!written) return false;
    c->reply.erase(0, *written);
    return true;
  }

  void sweep(Clock::time_point now) {
    if (!stop_requested) watch_listener(true);
    auto limit = std::chrono::seconds(options.idle_timeout_s);
    std::vector<Connection*> expired;
    {
      std::lock_guard lock(mutex);
      for (auto& [c, owned] : connections) {
        if (!c->busy && !c->gone && now - c->last_input > limit) expired.push_back(c);
      }
    }
    for (Connection* c : expired) {
      spdlog::info("milter: no command from the MTA for {} s; closing its connection",
                   options.idle_timeout_s);
      drop(c);
    }
  }

  void start_stopping() {
    close_listener();
    std::size_t in_flight = 0;
    std::vector<Connection*> idle_now;
    for (auto& [c, owned] : connections) {
      if (idle(c)) {
        idle_now.push_back(c);
      } else {
        ++in_flight;
      }
    }
    for (Connection* c : idle_now) drop(c);
    spdlog::info("milter: stopping; {} connection(s) with a message in flight may finish it",
                 in_flight);
  }

  // Between batches of events: the stop, the idle sweep, the end of the grace period.
  void housekeeping() {
    Clock::time_point now = Clock::now();
    if (stop_requested && !stopping) {
      stopping = true;
      deadline = now + std::chrono::seconds(options.shutdown_grace_s);
      start_stopping();
    }
    if (now >= next_sweep) {
      sweep(now);
      next_sweep = now + std::chrono::seconds(1);
    }
    if (!stopping) return;
    if (now >= deadline) {
      std::vector<Connection*> left;
      for (auto& [c, owned] : connections)
        if (!c->busy && !c->gone) left.push_back(c);
      if (!left.empty()) {
        spdlog::warn(
            "milter: closing {} connection(s) still in a transaction after {} s; "
            "the MTA keeps their mail",
            left.size(), options.shutdown_grace_s);
      }
      for (Connection* c : left) drop(c);
    }
    if (connections.empty()) finished = true;
  }

  void handle(const epoll_event& event) {
    void* tag = event.data.ptr;
    if (tag == &listener_tag) {
      if (listener >= 0) accept_all();
    } else if (tag == &wake_tag) {
      std::uint64_t value;
      [[maybe_unused]] ssize_t r = read(wake, &value, sizeof value);
      std::vector<Connection*> done;
      {
        std::lock_guard lock(mutex);
        done.swap(completed);
      }
      for (Connection* c : done) on_completed(c);
    } else {
      auto* c = static_cast<Connection*>(tag);
      // An event queued for a connection closed earlier in this batch.
      if (!connections.contains(c) || c->gone) return;
      on_event(c, event.events);
    }
  }

  // Leads the loop until a decision is due (returned, to be made by the caller after giving
  // up the lead) or the server has finished (nullptr). Call with leader_mutex held.
  Connection* lead() {
    while (true) {
      if (!to_decide.empty() && deciding.load() < decision_threads) {
        Connection* c = to_decide.front();
        to_decide.pop_front();
        waiting_decisions.fetch_sub(1);
        deciding.fetch_add(1);
        return c;
      }
      if (finished) return nullptr;
      if (next_event == event_count) {
        housekeeping();
        if (finished) return nullptr;
        int n = epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 1000);
        if (n < 0 && errno != EINTR) {
          spdlog::error("milter: epoll_wait: {}", errno_text(errno));
          finished = true;
          return nullptr;
        }
        next_event = 0;
        event_count = n > 0 ? static_cast<std::size_t>(n) : 0;
        continue;
      }
      handle(events[next_event++]);
    }
  }

  void serve() {
    std::unique_lock leader(leader_mutex);
    while (Connection* c = lead()) {
      leader.unlock();  // the next thread leads while this one decides
      decide(c);
      complete(c);
      deciding.fetch_sub(1);
      // A decision that waited for a free thread can start now; the leader may be asleep.
      if (waiting_decisions.load() > 0) notify_loop();
      leader.lock();
    }
  }

  void run() {
    decision_threads = options.workers;
    if (decision_threads == 0)
      decision_threads = std::max<std::size_t>(4, 2 * std::thread::hardware_concurrency());
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < decision_threads; ++i) threads.emplace_back([this] { serve(); });
    serve();
    for (std::thread& t : threads) t.join();
    close_listener();
  }
};

Result<std::unique_ptr<Server>> Server::listen(const ServerOptions& options, Decider& decider) {
  auto spec = parse_listen(options.listen);
  if (!spec) return std::unexpected(spec.error());
  auto impl = std::make_unique<Impl>(options, decider);
  impl->spec = *spec;
  int port = 0;
  auto fd = open_listener(*spec, options.socket_mode, &port);
  if (!fd) return std::unexpected(fd.error());
  impl->listener = *fd;
  impl->epoll = epoll_create1(EPOLL_CLOEXEC);
  impl->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl->epoll < 0 || impl->wake < 0) {
    return make_error(ErrorCode::kIo, "cannot set up the event loop: " + errno_text(errno));
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.ptr = &impl->wake_tag;
  epoll_ctl(impl->epoll, EPOLL_CTL_ADD, impl->wake, &event);
  impl->watch_listener(true);
  return std::unique_ptr<Server>(new Server(std::move(impl), port));
}

Server::Server(std::unique_ptr<Impl> impl, int port) : impl_(std::move(impl)), port_(port) {}

Server::~Server() {
  if (!impl_) return;
  for (auto& [c, owned] : impl_->connections) close(c->fd);
  impl_->connections.clear();
  impl_->close_listener();
  if (impl_->wake >= 0) close(impl_->wake);
  if (impl_->epoll >= 0) close(impl_->epoll);
}

void Server::run() { impl_->run(); }

void Server::stop() {
  impl_->stop_requested.store(true);
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(impl_->wake, &one, sizeof one);
}

}  // namespace sendguard::milter
