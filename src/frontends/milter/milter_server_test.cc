#include "frontends/milter/milter_server.h"
#include "frontends/milter/milter_test_packets.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace sendguard::milter {
namespace {

using namespace std::string_literals;
using namespace std::chrono_literals;

using test_packets::packet;
using test_packets::postfix_negotiation;
using test_packets::u32;


// Refuses recipients at army.ml; a message containing "slow" takes 1.5 s to decide. With
// `quick` set, it accepts other recipients on the event loop, and throws there for "boom".
class FakeDecider : public Decider {
 public:
  std::optional<RcptOutcome> quick_recipient(const Transaction&,
                                             std::string_view recipient) override {
    if (!quick) return std::nullopt;
    if (recipient.find("boom") != std::string_view::npos) throw std::runtime_error("boom");
    if (recipient.find("army.ml") != std::string_view::npos) return std::nullopt;
    quick_recipients++;
    return RcptOutcome{};
  }
  RcptOutcome on_recipient(const Transaction&, std::string_view recipient) override {
    recipients++;
    if (recipient.find("army.ml") != std::string_view::npos)
      return {RcptOutcome::Verb::kReject, "Did you mean army.mil?"};
    return {};
  }
  MessageOutcome on_message(const Transaction& t, std::string_view message) override {
    if (message.find("slow") != std::string_view::npos) std::this_thread::sleep_for(1500ms);
    messages++;
    MessageOutcome o;
    o.add_headers = {{"X-Sendguard-Queue-Id", t.queue_id}};
    return o;
  }
  std::atomic<bool> quick{false};
  std::atomic<int> recipients{0}, quick_recipients{0}, messages{0};
};

// A blocking client speaking the MTA's side.
class Client {
 public:
  explicit Client(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  explicit Client(const std::string& path) {
    fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Client() { close(fd_); }
  bool connected() const { return connected_; }
  // The TCP maximum segment size this side sends with (what Postfix sizes its buffers by).
  int segment_size() const {
    int mss = 0;
    socklen_t length = sizeof mss;
    return getsockopt(fd_, IPPROTO_TCP, TCP_MAXSEG, &mss, &length) == 0 ? mss : -1;
  }
  void send_bytes(const std::string& bytes) {
    ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  // The next reply packet as "command:data"; "EOF" when the server closed; "TIMEOUT".
  std::string reply(int timeout_ms = 5000) {
    std::string header = read_exactly(4, timeout_ms);
    if (header == "TIMEOUT" || header == "EOF") return header;
    if (header.size() < 4) return "EOF";
    std::uint32_t length =
        static_cast<unsigned char>(header[0]) << 24 | static_cast<unsigned char>(header[1]) << 16 |
        static_cast<unsigned char>(header[2]) << 8 | static_cast<unsigned char>(header[3]);
    std::string body = read_exactly(length, timeout_ms);
    if (body == "TIMEOUT" || body.size() < length) return "TRUNCATED";
    return body.substr(0, 1) + ":" + body.substr(1);
  }

 private:
  std::string read_exactly(std::size_t n, int timeout_ms) {
    std::string out;
    while (out.size() < n) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, timeout_ms) <= 0) return "TIMEOUT";
      char buffer[4096];
      ssize_t got = recv(fd_, buffer, std::min(sizeof buffer, n - out.size()), 0);
      if (got <= 0) return out.empty() ? "" : "EOF";
      out.append(buffer, static_cast<std::size_t>(got));
    }
    return out;
  }
  int fd_ = -1;
  bool connected_ = false;
};

class ServerTest : public ::testing::Test {
 protected:
  void start(ServerOptions options) {
    auto s = Server::listen(options, decider);
    ASSERT_TRUE(s.has_value()) << s.error().message;
    server = std::move(*s);
    thread = std::thread([this] {
      server->run();
      stopped = true;
    });
  }
  void start_tcp() {
    ServerOptions options;
    options.listen = "inet:0@127.0.0.1";
    start(options);
  }
  void TearDown() override {
    if (server) server->stop();
    if (thread.joinable()) thread.join();
  }
  // Negotiates and sends one message to recipient; returns the RCPT reply.
  std::string begin(Client& c, const std::string& recipient) {
    c.send_bytes(postfix_negotiation());
    EXPECT_EQ(c.reply()[0], 'O');
    c.send_bytes(packet('D', "Mi\0Q42\0"s) + packet('M', "<a@example.org>\0"s) +
                 packet('R', "<" + recipient + ">\0"s));
    return c.reply();
  }
  std::string content(const std::string& body) {
    return packet('L', "Subject\0Hi\0"s) + packet('N') + packet('B', body) + packet('E');
  }

  FakeDecider decider;
  std::unique_ptr<Server> server;
  std::thread thread;
  std::atomic<bool> stopped{false};
};

TEST_F(ServerTest, ServesAConversation) {
  start_tcp();
  Client c(server->port());
  ASSERT_TRUE(c.connected());
  EXPECT_EQ(begin(c, "bob@army.ml"), "y:550 5.7.1 Did you mean army.mil?\0"s);
  c.send_bytes(packet('R', "<carol@army.mil>\0"s));
  EXPECT_EQ(c.reply(), "c:");
  c.send_bytes(packet('T'));
  EXPECT_EQ(c.reply(), "c:");
  c.send_bytes(content("Hello\r\n"));
  EXPECT_EQ(c.reply(), "h:X-Sendguard-Queue-Id\0Q42\0"s);
  EXPECT_EQ(c.reply(), "c:");
  c.send_bytes(packet('Q'));
  EXPECT_EQ(c.reply(), "EOF");
  EXPECT_EQ(decider.messages, 1);
}

TEST_F(ServerTest, TcpClientsAreOfferedAnEthernetSizedSegmentNotLoopbacks) {
  start_tcp();
  Client c(server->port());
  ASSERT_TRUE(c.connected());
  // Loopback's own MSS is about 64 KB; Postfix would size its milter buffers at twice that.
  EXPECT_GT(c.segment_size(), 0);
  EXPECT_LE(c.segment_size(), kAdvertisedSegmentBytes);
  c.send_bytes(postfix_negotiation());
  EXPECT_EQ(c.reply()[0], 'O');
}

TEST_F(ServerTest, RecipientsTheDeciderAnswersAtOnceAreAnsweredByTheLoop) {
  decider.quick = true;
  start_tcp();
  Client c(server->port());
  ASSERT_TRUE(c.connected());
  EXPECT_EQ(begin(c, "carol@army.mil"), "c:");
  EXPECT_EQ(decider.quick_recipients, 1);
  EXPECT_EQ(decider.recipients, 0);
  // One burst: a refusal decided in full, an acceptance answered at once, and a quick check
  // that throws, decided again in full. The replies keep the order of the commands.
  c.send_bytes(packet('R', "<bob@army.ml>\0"s) + packet('R', "<dave@army.mil>\0"s) +
               packet('R', "<boom@army.mil>\0"s));
  EXPECT_EQ(c.reply(), "y:550 5.7.1 Did you mean army.mil?\0"s);
  EXPECT_EQ(c.reply(), "c:");
  EXPECT_EQ(c.reply(), "c:");
  EXPECT_EQ(decider.quick_recipients, 2);
  EXPECT_EQ(decider.recipients, 2);
  c.send_bytes(packet('T'));
  EXPECT_EQ(c.reply(), "c:");
  c.send_bytes(content("Hello\r\n"));
  EXPECT_EQ(c.reply(), "h:X-Sendguard-Queue-Id\0Q42\0"s);
  EXPECT_EQ(c.reply(), "c:");
  EXPECT_EQ(decider.messages, 1);
}

TEST_F(ServerTest, ASlowMessageDoesNotHoldUpOtherConnections) {
  start_tcp();
  Client slow(server->port()), quick(server->port());
  EXPECT_EQ(begin(slow, "a@army.mil"), "c:");
  slow.send_bytes(content("slow"));
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(begin(quick, "b@army.mil"), "c:");
  quick.send_bytes(content("quick"));
  EXPECT_EQ(quick.reply()[0], 'h');
  EXPECT_EQ(quick.reply(), "c:");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1000ms);
  EXPECT_EQ(slow.reply()[0], 'h');
  EXPECT_EQ(slow.reply(), "c:");
}

TEST_F(ServerTest, DecisionsBeyondTheThreadsWaitWhileTheLoopGoesOn) {
  ServerOptions options;
  options.listen = "inet:0@127.0.0.1";
  options.workers = 1;  // one decision at a time
  decider.quick = true;
  start(options);
  Client slow(server->port()), next(server->port());
  EXPECT_EQ(begin(slow, "a@army.mil"), "c:");
  slow.send_bytes(content("slow"));
  std::this_thread::sleep_for(100ms);  // the slow decision has the only deciding thread
  auto started = std::chrono::steady_clock::now();
  // Answered by the loop, which still has a thread.
  EXPECT_EQ(begin(next, "b@army.mil"), "c:");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1000ms);
  // Its message waits for the thread and is then answered.
  next.send_bytes(content("quick"));
  EXPECT_EQ(next.reply()[0], 'h');
  EXPECT_GT(std::chrono::steady_clock::now() - started, 1000ms);
  EXPECT_EQ(next.reply(), "c:");
  EXPECT_EQ(slow.reply()[0], 'h');
  EXPECT_EQ(slow.reply(), "c:");
  EXPECT_EQ(decider.messages, 2);
}

TEST_F(ServerTest, CommandsSentDuringADecisionAreHandledAfterIt) {
  start_tcp();
  Client c(server->port());
  EXPECT_EQ(begin(c, "a@army.mil"), "c:");
  // An abort in the same write as the end of the message, and a quit while it is decided:
  // neither is the protocol's order, but both must wait for the reply, not be lost.
  c.send_bytes(content("slow") + packet('A'));
  std::this_thread::sleep_for(200ms);
  c.send_bytes(packet('Q'));
  EXPECT_EQ(c.reply()[0], 'h');
  EXPECT_EQ(c.reply(), "c:");
  EXPECT_EQ(c.reply(), "EOF");  // the quit, once the message was answered
  EXPECT_EQ(decider.messages, 1);
}

TEST_F(ServerTest, StopAnswersTheMessageInFlight) {
  start_tcp();
  Client c(server->port());
  EXPECT_EQ(begin(c, "a@army.mil"), "c:");
  c.send_bytes(content("slow"));
  std::this_thread::sleep_for(200ms);
  server->stop();
  EXPECT_EQ(c.reply()[0], 'h');
  EXPECT_EQ(c.reply(), "c:");
  EXPECT_EQ(c.reply(), "EOF");  // closed once its message is answered
  thread.join();
  EXPECT_TRUE(stopped);
  Client late(server->port());
  EXPECT_FALSE(late.connected());
}

TEST_F(ServerTest, StopClosesIdleConnectionsAtOnce) {
  start_tcp();
  Client idle(server->port());
  idle.send_bytes(postfix_negotiation());
  EXPECT_EQ(idle.reply()[0], 'O');
  server->stop();
  EXPECT_EQ(idle.reply(), "EOF");
  thread.join();
}

TEST_F(ServerTest, HostileInputClosesOnlyThatConnection) {
  start_tcp();
  Client bad(server->port()), good(server->port());
  bad.send_bytes(postfix_negotiation());
  EXPECT_EQ(bad.reply()[0], 'O');
  bad.send_bytes(u32(0xfffffff0) + "B");
  EXPECT_EQ(bad.reply(), "EOF");
  Client unknown(server->port());
  unknown.send_bytes(postfix_negotiation() + packet('Z'));
  EXPECT_EQ(unknown.reply()[0], 'O');
  EXPECT_EQ(unknown.reply(), "EOF");
  EXPECT_EQ(begin(good, "a@army.mil"), "c:");
}

TEST_F(ServerTest, IdleConnectionsTimeOut) {
  ServerOptions options;
  options.listen = "inet:0@127.0.0.1";
  options.idle_timeout_s = 1;
  start(options);
  Client c(server->port());
  c.send_bytes(postfix_negotiation());
  EXPECT_EQ(c.reply()[0], 'O');
  EXPECT_EQ(c.reply(4000), "EOF");
}

TEST_F(ServerTest, UnixSocketGetsItsModeAndIsRemovedAtStop) {
  std::string dir = ::testing::TempDir() + "/milter-server-test-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  std::string path = dir + "/sendguard.sock";
  ServerOptions options;
  options.listen = "unix:" + path;
  options.socket_mode = 0666;
  start(options);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0666u);
  Client c(path);
  ASSERT_TRUE(c.connected());
  c.send_bytes(postfix_negotiation());
  EXPECT_EQ(c.reply()[0], 'O');
  server->stop();
  thread.join();
  EXPECT_FALSE(std::filesystem::exists(path));
  std::filesystem::remove_all(dir);
}

TEST(ServerListen, BadSpecsAreReported) {
  FakeDecider decider;
  for (std::string spec : {"nonsense", "inet:notaport@127.0.0.1", "inet:99999@127.0.0.1",
                           "tcp:25@127.0.0.1", "unix:"}) {
    ServerOptions options;
    options.listen = spec;
    auto s = Server::listen(options, decider);
    EXPECT_FALSE(s.has_value()) << spec;
  }
}

TEST(ServerListen, PortInUseIsReported) {
  FakeDecider decider;
  ServerOptions options;
  options.listen = "inet:0@127.0.0.1";
  auto first = Server::listen(options, decider);
  ASSERT_TRUE(first.has_value());
  options.listen = "inet:" + std::to_string((*first)->port()) + "@127.0.0.1";
  auto second = Server::listen(options, decider);
  ASSERT_FALSE(second.has_value());
  EXPECT_NE(second.error().message.find("in use"), std::string::npos);
}

}  // namespace
}  // namespace sendguard::milter
