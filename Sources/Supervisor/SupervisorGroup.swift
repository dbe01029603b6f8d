import Logging
import ServiceLifecycle
import UnixSignals

/// The services `stackpilot supervise` runs side by side (the exporter, the healer, doctor as
/// metrics, the dashboards watcher), with graceful shutdown on SIGTERM/SIGINT: the HTTP
/// server stops accepting, in-flight scrapes finish, then the process exits.
public struct SupervisorGroup: Sendable {
    public var services: [any Service]

    public init(services: [any Service] = []) {
        self.services = services
    }

    public mutating func add(_ service: any Service) {
        services.append(service)
    }

    /// Runs every service until a shutdown signal arrives or one of them ends or fails. Tests pass
    /// no signals and stop the group with a graceful shutdown of the task running it.
    public func run(logger: Logger, shutdownSignals: [UnixSignal] = [.sigterm, .sigint]) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) },
                gracefulShutdownSignals: shutdownSignals,
                logger: logger))
        try await group.run()
    }
}
