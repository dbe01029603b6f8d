import ArgumentParser
import Foundation
import Grafana

extension StackPilot {
    /// `stackpilot provision`: sync Grafana with stacks/grafana/provisioning and dashboards/.
    struct Provision: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "provision",
            abstract: "Sync Grafana with the repository: Prometheus datasource, folders, dashboards, alert rules.",
            discussion: """
            Reads stacks/grafana/provisioning/{datasources,alerting} and dashboards/ (one Grafana folder per \
            subfolder; top-level files go to the StackPilot folder), waits for Grafana's /api/health, then \
            creates or updates only what differs from what Grafana holds. Alert rules and a provisioned \
            datasource belong to Grafana's file provisioning: they are checked, and Grafana is asked to \
            read its files again, never written through the API. Unchanged dashboards are not \
            posted, so they get no new version. Connection: GRAFANA_URL (default http://127.0.0.1:3000 or the \
            manifest's), GRAFANA_TOKEN (Bearer) or GRAFANA_USER/GRAFANA_PASSWORD (or *_FILE), else the manifest's \
            variables from the environment and stacks/.env, else admin/admin. Every refusal is one failed \
            item; exit 0 when everything is in sync, 1 when something failed, 2 for bad input.
            """
        )

        @Flag(name: .customLong("dry-run"), help: "Show what would change without changing anything.")
        var dryRun = false

        @Flag(name: .customLong("prune"), help: "Remove dashboards in managed folders (and alert rules in managed groups) that are no longer in the repository.")
        var prune = false

        @OptionGroup var options: GrafanaOptions

        func run() async throws {
            let logger = GrafanaOptions.logger("stackpilot.provision")
            let report: Grafana.ProvisionReport
            do {
                let resolved = try options.resolve()
                let sources = Grafana.Sources(
                    dashboardsDirectory: resolved.dashboardsDirectory,
                    datasourcesDirectory: resolved.provisioningDirectory?.appendingPathComponent("datasources"),
                    alertingDirectory: resolved.provisioningDirectory?.appendingPathComponent("alerting"))
                let client = try options.client(for: resolved.connection, logger: logger)
                let provisioner = Grafana.Provisioner(client: client, sources: sources, healthTimeout: .seconds(max(0, options.timeout)))
                report = try await provisioner.sync(dryRun: dryRun, prune: prune)
            } catch {
                throw GrafanaOptions.fail(error)
            }
            print(Self.render(report, format: options.format))
            if !report.succeeded { throw ExitCode(1) }
        }

        static func render(_ report: Grafana.ProvisionReport, format: GrafanaOptions.Format) -> String {
            switch format {
            case .json:
                return GrafanaOptions.json(report)
            case .table:
                var lines: [String] = []
                let target = report.standIn ? "\(report.grafanaURL) (grafana-standin, not Grafana)" : report.grafanaURL
                lines.append(report.dryRun ? "Dry run against \(target): nothing was changed." : "Grafana at \(target):")
                let rows = report.items.map { item -> [String] in
                    let action = report.dryRun && item.action != .unchanged && item.action != .failed ? "would be \(item.action.rawValue)" : item.action.rawValue
                    return [item.kind.rawValue, item.uid, item.title, action, item.detail ?? ""]
                }
                lines.append(GrafanaOptions.table(["KIND", "UID", "TITLE", "ACTION", "DETAIL"], rows))
                let summary = Grafana.ProvisionReport.Action.allCases.map { "\(report.count($0)) \($0.rawValue)" }.joined(separator: ", ")
                lines.append(summary)
                return lines.joined(separator: "\n")
            }
        }
    }
}
