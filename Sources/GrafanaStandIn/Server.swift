import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// The stand-in's HTTP server: loads the kept state, provisions from files, then serves Grafana's
/// API and reads dashboard files again every provider's `updateIntervalSeconds`.
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
    func makeServices(onRunning: @escaping @Sendable (Int) async -> Void) async throws(StandInError) -> [any Service] {
        let state = try GrafanaState(configuration: configuration)
        var rescan: DashboardRescan?
        if let path = configuration.provisioningPath {
            let provisioner = Provisioner(root: path, environment: configuration.environment, state: state, logger: logger)
            try await provisioner.run()
            rescan = DashboardRescan(provisioner: provisioner)
        }
        let router = makeRouter(state: state, prober: DatasourceProber(logger: logger), logger: logger)
        let host = configuration.host
        let logger = self.logger
        let idle = configuration.idleTimeout.components
        let application = Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: .nanoseconds(idle.seconds * 1_000_000_000 + idle.attoseconds / 1_000_000_000))),
            configuration: .init(
                address: .hostname(host, port: configuration.port), serverName: "grafana-standin",
                availableConnectionsDelegate: .maximum(configuration.maxConnections, logger: logger)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.notice(
                    "grafana-standin \(StandInConfiguration.version) listening on http://\(host):\(port): a stand-in for Grafana's HTTP API, NOT Grafana")
                await onRunning(port)
            },
            logger: logger)
        return [application] + (rescan.map { [$0] } ?? [])
    }

    /// Serves until SIGTERM or SIGINT (a clean, graceful shutdown), or until the task is cancelled.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let services = try await makeServices(onRunning: onRunning)
        let group = ServiceGroup(
            configuration: .init(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
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
    let services = try await server.makeServices(onRunning: { port in continuation.yield(port) })
    let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [], logger: logger))
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

/// Grafana's dashboard file readers (pkg/services/provisioning/dashboards/file_reader.go): each
/// provider's files are read again every `updateIntervalSeconds` (config_reader.go: 10 when unset).
/// The providers themselves are read again on each pass, so a reload's changes apply too.
struct DashboardRescan: Service {
    let provisioner: Provisioner

    /// Ends quietly on shutdown: a cancelled sleep is the end of the loop, not a failure (the
    /// service group would otherwise report it and the process exit 1).
    func run() async throws {
        do {
            try await loop()
        } catch is CancellationError {
            return
        }
    }

    private func loop() async throws {
        try await cancelWhenGracefulShutdown {
            var lastScan: [String: ContinuousClock.Instant] = [:]
            let clock = ContinuousClock()
            while !Task.isCancelled {
                let providers = (try? provisioner.dashboardProviders()) ?? []
                let tick = providers.map(\.updateInterval).min() ?? .seconds(10)
                try await Task.sleep(for: min(tick, .seconds(10)))
                for provider in providers {
                    let now = clock.now
                    if let last = lastScan[provider.name], now - last < provider.updateInterval - .milliseconds(50) { continue }
                    lastScan[provider.name] = now
                    await provisioner.loadDashboards(provider)
                }
            }
        }
    }
}
