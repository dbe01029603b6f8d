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

        @OptionGroup var manifest: Flags.ManifestPath
        @OptionGroup var grafana: Flags.GrafanaTimeout
        @OptionGroup var output: Flags.Output

        func validate() throws {
            if all == !uids.isEmpty {
                throw ValidationError("give either --uid UID (repeatable) or --all")
            }
        }

        func run() async throws {
            let context = CommandContext(manifest: manifest.path)
            let target = try context.grafana()
            let client = try context.grafanaClient(target.connection, logger: CommandContext.logger("stackpilot.export"))
            let report = try await Grafana.Exporter(client: client, healthTimeout: grafana.timeout.duration)
                .export(uids: all ? nil : uids, into: directory.map { URL(fileURLWithPath: $0) } ?? target.sources.dashboardsDirectory)
            print(try OutputRenderer.render(ExportPayload(report: report), format: output.format, style: .stdout), terminator: "")
        }
    }
}

/// What `export` wrote: the report's JSON, or one row per dashboard (paths relative to here).
struct ExportPayload: OutputRenderable {
    var report: Grafana.Exporter.Report

    func encode(to encoder: any Encoder) throws { try report.encode(to: encoder) }

    var table: OutputTable {
        let cwd = FileManager.default.currentDirectoryPath + "/"
        return .rows(
            headers: ["uid", "title", "file", "action"],
            rows: report.items.map {
                [$0.uid, $0.title, $0.path.hasPrefix(cwd) ? String($0.path.dropFirst(cwd.count)) : $0.path, $0.action.rawValue]
            })
    }
}
