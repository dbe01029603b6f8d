import Foundation
import Grafana
import Logging

extension GrafanaOptions {
    /// The provisioner `provision`, `doctor --fix` and `supervise` share: the repository's
    /// dashboards, datasources and alert rules, synced to the Grafana the options resolve to.
    func makeProvisioner(logger: Logger, healthTimeout: Duration,
                         environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Grafana.Provisioner {
        let resolved = try resolve(environment: environment)
        let client = try client(for: resolved.connection, logger: logger)
        return Grafana.Provisioner(client: client, sources: Self.sources(resolved), healthTimeout: healthTimeout)
    }

    static func sources(_ resolved: Resolved) -> Grafana.Sources {
        Grafana.Sources(
            dashboardsDirectory: resolved.dashboardsDirectory,
            datasourcesDirectory: resolved.provisioningDirectory?.appendingPathComponent("datasources"),
            alertingDirectory: resolved.provisioningDirectory?.appendingPathComponent("alerting"))
    }
}
