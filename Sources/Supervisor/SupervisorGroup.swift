import Logging
import ServiceLifecycle
import UnixSignals

/// The services `stackpilot supervise` runs side by side (the exporter now; healing and
/// re-provisioning join as more `Service`s), with graceful shutdown on SIGTERM/SIGINT: the HTTP
/// server stops accepting, in-flight scrapes finish, then the process exits.
public struct SupervisorGroup: Sendable {
    public var services: [any Service]

    public init(services: [any Service] = []) {
        self.services = services
    }

    public mutating func add(_ service: any Service) {
        services.append(service)
    }

    /// Runs every service until a shutdown signal arrives or one of them ends or fails.
    public func run(logger: Logger) async throws {
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}
