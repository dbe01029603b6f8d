import Foundation
import Logging
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// Test helpers shared by the test targets: in-process servers that are stopped the way production
/// stops them, and free loopback ports.
public enum TestServers {
    /// Runs `server` while `body` runs, then stops it with a graceful shutdown and waits for it.
    ///
    /// Cancelling a Hummingbird server instead makes NIO trap ("Deinited NIOAsyncWriter without calling
    /// finish()") when a connection was accepted but not yet handled, which a busy machine makes
    /// likely. A graceful shutdown hands every accepted connection to the server first. `server` may run
    /// its own ServiceGroup: the graceful shutdown reaches it as its parent's. A server still busy
    /// after `grace` (a handler that ignores shutdown) is then cancelled, which is safe by then: its
    /// listening socket is closed, so no accepted connection can be waiting.
    public static func with<T>(
        _ server: @escaping @Sendable () async throws -> Void,
        grace: Duration = .seconds(5),
        _ body: () async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "test-server")
        logger.logLevel = .critical
        let group = ServiceGroup(configuration: .init(services: [ClosureService(body: server)], gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let outcome: Result<T, any Error>
            do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
            await group.triggerGracefulShutdown()
            tasks.addTask { try? await Task.sleep(for: grace) }
            _ = try? await tasks.next()
            tasks.cancelAll()
            return try outcome.get()
        }
    }

    /// A free TCP port on 127.0.0.1 (bind to port 0, read it back, release it).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw POSIXError(.EINVAL) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A closure run as a service of a ServiceGroup.
private struct ClosureService: Service {
    let body: @Sendable () async throws -> Void
    func run() async throws { try await body() }
}
