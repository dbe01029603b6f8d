import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// The stand-in's HTTP server: provisions from files, then serves Grafana's API from memory.
///
///     let server = GrafanaStandInServer(configuration: .init(port: 0), logger: logger)
///     try await server.run()   // until SIGTERM/SIGINT
///
/// Tests use `withRunningStandIn { url in ... }` instead, which binds 127.0.0.1 on a free port.
public struct GrafanaStandInServer: Sendable {
    public let configuration: StandInConfiguration
    public let logger: Logger

    public init(configuration: StandInConfiguration, logger: Logger = Logger(label: "grafana-standin")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Reads the provisioning directory and builds the application; throws what Grafana would
    /// refuse to start with (a broken provisioning file, named with its path).
    func makeApplication(onRunning: @escaping @Sendable (Int) async -> Void) async throws(StandInError) -> some ApplicationProtocol {
        let state = GrafanaState(configuration: configuration)
        if let path = configuration.provisioningPath {
            try await Provisioner(root: path, environment: configuration.environment, state: state, logger: logger).run()
        }
        let router = makeRouter(state: state, prober: DatasourceProber(logger: logger), logger: logger)
        let host = configuration.host
        let logger = self.logger
        let idle = configuration.idleTimeout.components
        return Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: .nanoseconds(idle.seconds * 1_000_000_000 + idle.attoseconds / 1_000_000_000))),
            configuration: .init(
                address: .hostname(host, port: configuration.port), serverName: "grafana-standin",
                availableConnectionsDelegate: .maximum(configuration.maxConnections, logger: logger)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.notice("grafana-standin \(StandInConfiguration.version) listening on http://\(host):\(port): a stand-in for Grafana's HTTP API, NOT Grafana")
                await onRunning(port)
            },
            logger: logger)
    }

    /// Serves until SIGTERM or SIGINT (a clean, graceful shutdown), or until the task is cancelled.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let application = try await makeApplication(onRunning: onRunning)
        let group = ServiceGroup(configuration: .init(
            services: [application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.notice("grafana-standin stopped")
    }
}

/// Runs a stand-in on 127.0.0.1 and a free port for the duration of `body`, which gets its base URL
/// (e.g. `http://127.0.0.1:40123`). The server is shut down when `body` returns or throws.
public func withRunningStandIn<T: Sendable>(
    _ configuration: StandInConfiguration = StandInConfiguration(host: "127.0.0.1", port: 0),
    logger: Logger = Logger(label: "grafana-standin"),
    _ body: @Sendable (String) async throws -> T
) async throws -> T {
    var configuration = configuration
    configuration.host = "127.0.0.1"
    let server = GrafanaStandInServer(configuration: configuration, logger: logger)
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let application = try await server.makeApplication(onRunning: { port in continuation.yield(port) })
    let group = ServiceGroup(configuration: .init(services: [application], gracefulShutdownSignals: [], logger: logger))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask {
            defer { continuation.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            try await tasks.waitForAll()
            throw StandInError.server("the server stopped before it was listening")
        }
        do {
            let result = try await body("http://127.0.0.1:\(port)")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
    }
}
