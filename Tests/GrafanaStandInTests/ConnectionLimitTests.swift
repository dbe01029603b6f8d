import Foundation
import GrafanaStandIn
import HTTPTransport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A plain TCP connection to 127.0.0.1, closed in `deinit` (or by `close()`).
final class RawConnection {
    private(set) var fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { Glibc.close(fd); throw POSIXError(.ECONNREFUSED) }
    }

    deinit { close() }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw POSIXError(.EPIPE) }
    }

    enum Read: Equatable {
        case data(String)
        /// The server closed the connection.
        case closed
        /// Nothing within the wait.
        case nothing
    }

    /// Waits up to `timeout` for bytes or for the server to close the connection. Polls without
    /// blocking (a blocked thread of the cooperative pool would starve the tests running beside).
    func read(timeout: Duration) async throws -> Read {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&descriptor, 1, 0) > 0 {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                return count <= 0 ? .closed : .data(String(decoding: buffer.prefix(count), as: UTF8.self))
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return .nothing
    }
}

/// Connections a client holds cannot make the stand-in unavailable or exhaust its descriptors.
@Suite("grafana-standin connection limits")
struct ConnectionLimitTests {
    static func port(of url: String) throws -> Int {
        try #require(URLComponents(string: url)?.port)
    }

    @Test("an idle connection is closed after the idle timeout; one that never sends a request too")
    func idleTimeout() async throws {
        var configuration = Fixture.configuration()
        configuration.idleTimeout = .seconds(1)
        try await withRunningStandIn(configuration, logger: Fixture.logger) { url async throws in
            let port = try Self.port(of: url)
            let silent = try RawConnection(port: port)
            let served = try RawConnection(port: port)
            try served.send("GET /api/health HTTP/1.1\r\nHost: standin\r\n\r\n")
            guard case .data(let answer) = try await served.read(timeout: .seconds(30)) else {
                Issue.record("no answer to /api/health")
                return
            }
            #expect(answer.hasPrefix("HTTP/1.1 200"))
            // Both are then idle: the server closes them (well within 30 s; without a timeout, never).
            for connection in [silent, served] {
                var outcome = try await connection.read(timeout: .seconds(30))
                while case .data = outcome { outcome = try await connection.read(timeout: .seconds(30)) }
                #expect(outcome == .closed)
            }
        }
    }

    @Test("past the connection cap a new client waits until a held connection closes, then is served")
    func connectionCap() async throws {
        var configuration = Fixture.configuration()
        configuration.maxConnections = 2
        configuration.idleTimeout = .seconds(600)
        try await withRunningStandIn(configuration, logger: Fixture.logger) { url async throws in
            let port = try Self.port(of: url)
            // Two keep-alive connections, each answered once so the server has surely accepted it.
            let held = try (0..<2).map { _ in try RawConnection(port: port) }
            for connection in held {
                try connection.send("GET /api/health HTTP/1.1\r\nHost: standin\r\n\r\n")
                guard case .data(let answer) = try await connection.read(timeout: .seconds(30)) else {
                    Issue.record("no answer on a held connection")
                    return
                }
                #expect(answer.hasPrefix("HTTP/1.1 200"))
            }
            let transport = try CurlTransport(endpoint: HTTPEndpoint(address: .url(url)))
            // With both held, a third client is not served (it waits in the listen backlog).
            await #expect(throws: (any Error).self) {
                _ = try await transport.send(HTTPRequest(path: "/api/health", timeout: .seconds(2)))
            }
            held[0].close()
            let response = try await transport.send(HTTPRequest(path: "/api/health", timeout: .seconds(30)))
            #expect(response.status == 200)
        }
    }

    struct Setting: Sendable, CustomTestStringConvertible {
        var environment: [String: String]
        var host: String?
        var idleTimeout: Duration?
        var maxConnections: Int?
        var testDescription: String { "\(environment)" }
    }

    @Test(
        "listen address, idle timeout and cap come from the environment; the default address is loopback",
        arguments: [
            Setting(
                environment: [:], host: "127.0.0.1", idleTimeout: StandInConfiguration.defaultIdleTimeout,
                maxConnections: StandInConfiguration.defaultMaxConnections),
            Setting(environment: ["GF_SERVER_HTTP_ADDR": "0.0.0.0"], host: "0.0.0.0"),
            Setting(environment: ["STANDIN_IDLE_TIMEOUT_SECONDS": "5", "STANDIN_MAX_CONNECTIONS": "10"], idleTimeout: .seconds(5), maxConnections: 10),
            Setting(environment: ["STANDIN_IDLE_TIMEOUT_SECONDS": "0"]),
            Setting(environment: ["STANDIN_IDLE_TIMEOUT_SECONDS": "soon"]),
            Setting(environment: ["STANDIN_MAX_CONNECTIONS": "0"]),
            Setting(environment: ["STANDIN_MAX_CONNECTIONS": "-3"]),
        ])
    func settings(_ s: Setting) throws {
        let valid = s.host != nil || s.idleTimeout != nil || s.maxConnections != nil
        guard valid else {
            let error = try #require(throws: StandInError.self) { try StandInConfiguration.fromEnvironment(s.environment) }
            guard case .configuration(let message) = error else {
                Issue.record("expected .configuration, got \(error)")
                return
            }
            #expect(s.environment.keys.contains { message.hasPrefix($0 + "=") })
            return
        }
        let configuration = try StandInConfiguration.fromEnvironment(s.environment)
        if let host = s.host { #expect(configuration.host == host) }
        if let idle = s.idleTimeout { #expect(configuration.idleTimeout == idle) }
        if let cap = s.maxConnections { #expect(configuration.maxConnections == cap) }
    }
}

/// Query values are input too: none may reach an arithmetic trap.
@Suite("grafana-standin hostile query values")
struct HostileQueryTests {
    struct Paging: Sendable, CustomTestStringConvertible {
        var query: String
        var count: Int
        var testDescription: String { query }
    }

    @Test(
        "paging values whose product or sum overflows answer a page (empty past the end) and the server keeps serving",
        arguments: [
            Paging(query: "limit=9223372036854775807&page=2", count: 0),
            Paging(query: "limit=1000&page=9223372036854775807", count: 0),
            Paging(query: "limit=9223372036854775807&page=9223372036854775807", count: 0),
            Paging(query: "limit=9223372036854775807&page=1", count: 1),
            Paging(query: "limit=-5&page=-5", count: 1),
        ])
    func paging(_ c: Paging) async throws {
        try await Fixture.withStandIn { client in
            #expect(try await client.post("/api/folders", ["title": "one"]).status == 200)
            let reply = try await client.get("/api/folders?" + c.query)
            #expect(reply.status == 200)
            #expect(reply.array.count == c.count)
            #expect(try await client.get("/api/health").status == 200)
        }
    }
}
