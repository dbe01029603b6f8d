import ArgumentParser
import Compose
import Doctor
import DockerEngine
import Foundation
import Grafana
import HTTPTransport
import Logging
import PrometheusAPI

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

        @Option(name: .customLong("manifest"), help: "Manifest (default: STACKPILOT_MANIFEST or stacks/stackpilot.yml).")
        var manifest: String?

        @Option(name: .customLong("format"), help: "Output format: table or json.")
        var format: Format = .table

        @Option(name: .customLong("only"), parsing: .upToNextOption,
                help: "Run only these groups: \(Doctor.Group.allCases.map(\.rawValue).joined(separator: ", ")).")
        var only: [Doctor.Group] = []

        @Flag(name: .customLong("verbose"), help: "Show the evidence of passing checks too.")
        var verbose = false

        @Flag(name: .customLong("fix"), help: "Apply the safe remedies doctor knows (start a stopped service, restart an unhealthy one, provision Grafana), then check again.")
        var fix = false

        enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

        func run() async throws {
            let setup = try Self.makeSetup(manifest: manifest, engine: try engine.makeClient(logger: GrafanaOptions.logger("stackpilot.docker")))
            let groups = only.isEmpty ? nil : Set(only)
            var report = await Doctor.Runner().run(Doctor.checks(setup, only: groups))
            if fix {
                report = await Self.repair(report, setup: setup, groups: groups, options: try Self.grafanaOptions(manifest: manifest)) {
                    StandardError.line($0)
                }
            }
            switch format {
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            case .table:
                let terminal = TerminalStyle.detect()
                let style = DoctorReportRenderer.Style(unicode: terminal.color, color: terminal.color, verbose: verbose)
                print(DoctorReportRenderer(style: style).render(report), terminator: "")
            }
            if report.hasFailure { throw ExitCode.failure }
        }

        static func grafanaOptions(manifest: String?) throws -> GrafanaOptions {
            try GrafanaOptions.parse(manifest.map { ["--manifest", $0] } ?? [])
        }

        /// Everything the checks talk to; bad input (manifest, URLs, credential files) fails here
        /// with exit 2 before any check runs.
        /// `prometheusURL` replaces the manifest's (supervise inside the stack reaches Prometheus by
        /// its service name); `environment` also gives Grafana's URL (`GRAFANA_URL`) and credentials.
        /// `periodic` (supervise): the default-password check never tries admin/admin itself.
        static func makeSetup(manifest: String?, engine client: DockerEngine.Client,
                              environment: [String: String] = ProcessInfo.processInfo.environment,
                              prometheusURL: String? = nil, periodic: Bool = false) throws -> Doctor.Setup {
            let path = Manifest.locate(explicit: manifest, environment: environment)
            var loaded: Manifest
            let projects: [ComposeProject]
            do {
                loaded = try Manifest.load(path: path)
                projects = try loaded.loadProjects(environment: environment)
            } catch {
                throw CommandFailure(badInput: error.description)
            }
            if let prometheusURL { loaded.prometheus.url = prometheusURL }
            let prometheusTransport: CurlTransport
            do {
                prometheusTransport = try CurlTransport(endpoint: HTTPEndpoint(address: .url(loaded.prometheus.url)),
                                                        options: .init(connectTimeout: .seconds(2), timeout: .seconds(5)))
            } catch {
                throw CommandFailure(badInput: "Prometheus URL \(loaded.prometheus.url) in \(loaded.path): \(error)")
            }
            let prometheus = PrometheusAPI.Client(transport: prometheusTransport, endpoint: loaded.prometheus.url,
                                                  logger: GrafanaOptions.logger("stackpilot.prometheus"), timeout: .seconds(5))
            let options = try grafanaOptions(manifest: manifest)
            let resolved: GrafanaOptions.Resolved
            do {
                resolved = try options.resolve(environment: environment)
            } catch {
                throw CommandFailure(badInput: "\(error)")
            }
            let sources = GrafanaOptions.sources(resolved)
            let desired: Grafana.DesiredState
            do {
                desired = try sources.load()
            } catch {
                throw CommandFailure(badInput: error.description)
            }
            let rules = desired.alertGroups.flatMap(\.rules)
            let grafanaClient = try options.client(for: resolved.connection, logger: GrafanaOptions.logger("stackpilot.grafana"))
            let grafana = Doctor.GrafanaSetup(
                client: grafanaClient,
                datasourceUID: desired.prometheusDatasourceUID,
                dashboardUIDs: desired.dashboards.compactMap(\.dashboard.uid),
                alertRuleUIDs: rules.compactMap { $0["uid"]?.stringValue },
                defaultPassword: Doctor.DefaultPasswordPolicy(stateFile: Doctor.DefaultPasswordPolicy.defaultStateFile(environment: environment), mayAttempt: !periodic))
            return Doctor.Setup(engine: client, manifest: loaded, projects: projects, prometheus: prometheus, grafana: grafana,
                                alerts: rules.compactMap(GuideAlert.init(rule:)))
        }

        /// `--fix`: applies the report's fixes, waits for what they repaired to settle (a started
        /// container's healthcheck, Prometheus' next scrape), and checks again. A repair can reveal
        /// the next one (Grafana started, then found unprovisioned), so this goes up to three rounds;
        /// a fix is never applied twice. Returns the last report; `say` gets one line per step.
        static func repair(_ first: Doctor.Report, setup: Doctor.Setup, groups: Set<Doctor.Group>?, options: GrafanaOptions,
                           settling: Doctor.Settling = Doctor.Settling(), say: (String) -> Void) async -> Doctor.Report {
            let runner = Doctor.Runner()
            var report = first
            var tried: [Doctor.Fix] = []
            for _ in 1...3 {
                var fixes: [Doctor.Fix] = []
                for fix in report.results.compactMap(\.finding.fix) where !tried.contains(fix) && !fixes.contains(fix) {
                    fixes.append(fix)
                }
                guard !fixes.isEmpty else { break }
                tried += fixes
                for line in await apply(fixes, setup: setup, options: options) { say(line) }
                let waited = fixes.compactMap { fix -> String? in
                    switch fix {
                    case .startContainer(_, let service), .restartContainer(_, let service): service
                    case .provisionGrafana: nil
                    }
                }
                if !waited.isEmpty { say("waiting for \(waited.joined(separator: ", ")) to run healthy, then checking again") }
                for (service, settlement) in await Doctor.waitForFixedContainers(setup.engine, fixes: fixes, timeout: settling.containerTimeout) {
                    if case .unsettled(let state) = settlement {
                        say("\(service) did not become healthy within \(Doctor.Runner.format(settling.containerTimeout)): \(state)")
                    }
                }
                let checks = Doctor.checks(setup, only: groups)
                report = await runner.run(checks)
                // What the repaired services feed settles on its own schedule: Prometheus marks a
                // target up at its next scrape, Grafana's datasource health follows Prometheus.
                report = await runner.recheckFailures(report, checks: checks, groups: [.stacks, .metrics, .prometheus, .grafana],
                                                      timeout: settling.recheckTimeout, pollInterval: settling.pollInterval)
            }
            return report
        }

        /// Applies each distinct fix once and says what it did.
        static func apply(_ fixes: [Doctor.Fix], setup: Doctor.Setup, options: GrafanaOptions) async -> [String] {
            var done: [Doctor.Fix] = []
            var lines: [String] = []
            for fix in fixes where !done.contains(fix) {
                done.append(fix)
                do {
                    switch fix {
                    case .startContainer(let id, _):
                        try await setup.engine.startContainer(id)
                    case .restartContainer(let id, _):
                        try await setup.engine.restartContainer(id, timeout: 10)
                    case .provisionGrafana:
                        let provisioner = try options.makeProvisioner(logger: GrafanaOptions.logger("stackpilot.provision"), healthTimeout: .seconds(10))
                        let report = try await provisioner.sync()
                        guard report.succeeded else { throw CommandFailure(failed: "provisioning reported failures") }
                    }
                    lines.append("fixed: \(fix.description)")
                } catch {
                    lines.append("could not \(fix.description): \(error)")
                }
            }
            return lines
        }
    }
}

extension Doctor.Group: ExpressibleByArgument {}
