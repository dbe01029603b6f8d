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

        @Flag(name: .customLong("dry-run"), help: "Print the plan (each action with its reason) and change nothing.")
        var dryRun = false

        @Flag(
            name: .customLong("prune"), help: "Remove dashboards in managed folders (and alert rules in managed groups) that are no longer in the repository.")
        var prune = false

        @OptionGroup var manifest: Flags.ManifestPath
        @OptionGroup var grafana: Flags.GrafanaTimeout
        @OptionGroup var output: Flags.Output

        func run() async throws {
            let provisioner = try CommandContext(manifest: manifest.path).provisioner(healthTimeout: grafana.timeout.duration)
            let report = try await provisioner.sync(dryRun: dryRun, prune: prune)
            print(try OutputRenderer.render(ProvisionPayload(report: report), format: output.format, style: .stdout), terminator: "")
            if !report.succeeded { throw CommandFailure.reported }
        }
    }
}

/// What `provision` (and `up` after the stacks) prints: the report's JSON, or its items as a table
/// under the Grafana it ran against, with a count per action.
struct ProvisionPayload: OutputRenderable {
    var report: Grafana.ProvisionReport

    func encode(to encoder: any Encoder) throws { try report.encode(to: encoder) }

    var table: OutputTable {
        let target = report.standIn ? "\(report.grafanaURL) (grafana-standin, not Grafana)" : report.grafanaURL
        let heading = report.dryRun ? "Dry run against \(target): nothing was changed." : "Grafana at \(target):"
        let rows = report.items.map { item -> [String] in
            let pending = report.dryRun && item.action != .unchanged && item.action != .failed
            return [item.kind.rawValue, item.uid, item.title, pending ? "would be \(item.action.rawValue)" : item.action.rawValue, item.detail ?? ""]
        }
        let summary = Grafana.ProvisionReport.Action.allCases.map { "\(report.count($0)) \($0.rawValue)" }.joined(separator: ", ")
        return .framed(header: [heading], body: .rows(headers: ["kind", "uid", "title", "action", "detail"], rows: rows), footer: [summary])
    }
}
