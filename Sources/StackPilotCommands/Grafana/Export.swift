import ArgumentParser
import Foundation
import Grafana

extension StackPilot {
    /// `stackpilot export`: write Grafana's dashboards into dashboards/ for version control.
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write Grafana dashboards into dashboards/<folder>/<slug>.json for version control.",
            discussion: """
            Files keep Grafana's key order, drop id and version, use 2-space indentation and end with a \
            newline, so exporting again with nothing changed rewrites identical bytes. A dashboard whose uid \
            is already in a file under the directory is written back to that file; dashboards of the \
            StackPilot folder go to the top level, those of the General folder to General/.
            """
        )

        @Option(name: .customLong("uid"), help: "Dashboard uid to export (repeatable).")
        var uids: [String] = []

        @Flag(name: .customLong("all"), help: "Export every dashboard.")
        var all = false

        @Option(name: .customLong("dir"), help: "Directory to write into (default: the manifest's dashboards folder, else ./dashboards).")
        var directory: String?

        @OptionGroup var options: GrafanaOptions

        func validate() throws {
            if all == !uids.isEmpty {
                throw ValidationError("give either --uid UID (repeatable) or --all")
            }
        }

        func run() async throws {
            let logger = GrafanaOptions.logger("stackpilot.export")
            let report: Grafana.Exporter.Report
            do {
                let resolved = try options.resolve()
                let target = directory.map { URL(fileURLWithPath: $0) } ?? resolved.dashboardsDirectory
                let client = try options.client(for: resolved.connection, logger: logger)
                report = try await Grafana.Exporter(client: client, healthTimeout: .seconds(max(0, options.timeout)))
                    .export(uids: all ? nil : uids, into: target)
            } catch {
                throw GrafanaOptions.fail(error)
            }
            switch options.format {
            case .json:
                print(GrafanaOptions.json(report))
            case .table:
                let cwd = FileManager.default.currentDirectoryPath + "/"
                print(GrafanaOptions.table(["UID", "TITLE", "FILE", "ACTION"], report.items.map {
                    [$0.uid, $0.title, $0.path.hasPrefix(cwd) ? String($0.path.dropFirst(cwd.count)) : $0.path, $0.action.rawValue]
                }))
            }
        }
    }
}
