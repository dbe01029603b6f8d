import ArgumentParser
import Doctor
import Foundation

extension StackPilot {
    struct DoctorCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "doctor",
            abstract: "Run every troubleshooting step of the monitoring guide and say what is wrong and how to fix it.",
            discussion: """
                Checks the engine, every service of the manifest, each scrape target's /metrics, \
                Prometheus (ready, configuration, targets), Grafana (health, datasource, dashboards, alert \
                rules, default password), the guide's alert conditions evaluated now, and which container \
                holds the CPU or memory. Exit 0 when nothing failed, 1 when something failed.
                """)

        @OptionGroup var engine: Flags.Engine
        @OptionGroup var manifest: Flags.ManifestPath
        @OptionGroup var output: Flags.Output

        @Option(
            name: .customLong("only"), parsing: .upToNextOption,
            help: "Run only these groups: \(Doctor.Group.allCases.map(\.rawValue).joined(separator: ", ")).")
        var only: [Doctor.Group] = []

        @Flag(name: .customLong("verbose"), help: "Show the evidence of passing checks too.")
        var verbose = false

        @Flag(
            name: .customLong("fix"),
            help: "Apply the safe remedies doctor knows (start a stopped service, restart an unhealthy one, provision Grafana), then check again.")
        var fix = false

        func run() async throws {
            let context = CommandContext(engine: engine, manifest: manifest.path)
            let setup = try context.doctorSetup(engine: try context.engine())
            let groups = only.isEmpty ? nil : Set(only)
            var report = await Doctor.Runner().run(Doctor.checks(setup, only: groups))
            if fix {
                let provisioner = try context.provisioner(healthTimeout: .seconds(10))
                report = await Doctor.RepairLoop(setup: setup, groups: groups, provisioner: provisioner).run(report) { StandardError.line($0) }
            }
            let terminal = TerminalStyle.detect()
            let style = DoctorReportRenderer.Style(unicode: terminal.color, color: terminal.color, verbose: verbose)
            print(try OutputRenderer.render(DoctorPayload(report: report, style: style), format: output.format), terminator: "")
            if report.hasFailure { throw CommandFailure.reported }
        }
    }
}

/// Doctor's report: its JSON, or the `flutter doctor` style text of `DoctorReportRenderer`.
struct DoctorPayload: OutputRenderable {
    var report: Doctor.Report
    var style: DoctorReportRenderer.Style

    func encode(to encoder: any Encoder) throws { try report.encode(to: encoder) }

    var table: OutputTable { .text(DoctorReportRenderer(style: style).render(report)) }
}

extension Doctor.Group: ExpressibleByArgument {}
