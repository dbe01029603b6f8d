import ArgumentParser
import Compose
import ContainerStats
import DockerEngine
import Doctor
import Foundation
import GPU
import HTTPTransport
import Logging
import Prometheus
import ServiceLifecycle
import Supervisor

extension StackPilot {
    /// `stackpilot supervise`: the long-running side of StackPilot. The Prometheus exporter of
    /// per-container stats (cAdvisor's metric names), the healer of unhealthy containers, Grafana
    /// re-provisioning after its container starts or the dashboards change, and doctor as metrics;
    /// each part is a `Service` in one `ServiceGroup` (SupervisorGroup), stopped together on SIGTERM.
    struct Supervise: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "supervise",
            abstract: "Export container metrics, heal unhealthy containers, re-provision Grafana, export doctor's checks.",
            discussion: """
                Serves /metrics (per-container stats with cAdvisor's names, heal counters, \
                stackpilot_check_status{group,check}: 0 ok, 1 warning, 2 failure) and /healthz. \
                Collects on scrape (at most once per --cache), from cgroupfs when the engine is local and \
                the containers' cgroups and /proc/<pid>/net/dev are readable (the host's /sys/fs/cgroup \
                and pid namespace), else from the engine's one-shot stats. In a container, give it the \
                engine through `stackpilot engine-proxy`, never the Docker socket. Follows the engine's events (reconnecting when the engine \
                restarts) and restarts containers of the manifest's stacks (and --project) that stay \
                unhealthy past --heal-grace, with growing delays, giving up after --heal-max-restarts \
                per hour; containers restarting, stopped on purpose or labelled io.stackpilot.heal=false \
                are left alone. Stops cleanly on SIGTERM or SIGINT.
                """
        )

        @OptionGroup var engine: Flags.Engine

        @Option(name: .customLong("listen"), help: ArgumentHelp("Address to serve /metrics and /healthz on.", valueName: "host:port"))
        var listen: String = "127.0.0.1:9338"

        @Option(name: .customLong("source"), help: "Where samples come from: auto, api or cgroup.")
        var source: StatsSourceChoice = .auto

        @Option(name: .customLong("label"), help: ArgumentHelp("Only containers with this label (key or key=value); repeatable.", valueName: "label"))
        var labels: [String] = []

        @Option(
            name: .customLong("cache"),
            help: ArgumentHelp("Serve scrapes within this long of the last collection from it (e.g. 2s, 500ms, or seconds).", valueName: "duration"))
        var cache: DurationArgument = .seconds(2)

        @OptionGroup var manifest: Flags.ManifestPath

        @Option(
            name: .customLong("project"),
            help: ArgumentHelp("Heal this compose project too (repeatable); without a manifest, only these are healed.", valueName: "name"))
        var projects: [String] = []

        @Flag(name: .customLong("no-heal"), help: "Do not restart unhealthy containers.")
        var noHeal = false

        @Option(
            name: .customLong("heal-grace"),
            help: ArgumentHelp("How long a container must stay unhealthy before it is restarted (e.g. 30s, or seconds).", valueName: "duration"))
        var healGrace: DurationArgument = .seconds(30)

        @Option(name: .customLong("heal-max-restarts"), help: ArgumentHelp("Restarts per hour before giving up on a service.", valueName: "n"))
        var healMaxRestarts: Int = 5

        @Option(
            name: .customLong("doctor-interval"),
            help: ArgumentHelp("Run doctor this often and export stackpilot_check_status (e.g. 60s, 5m; 0: never; needs the manifest).", valueName: "duration"))
        var doctorInterval: DurationArgument = .seconds(60)

        @Flag(name: .customLong("watch-dashboards"), help: "Provision Grafana again when the dashboards folder changes.")
        var watchDashboards = false

        @Option(
            name: .customLong("prometheus-url"),
            help: ArgumentHelp("Prometheus for doctor's checks (default: STACKPILOT_PROMETHEUS_URL, else the manifest's).", valueName: "url"))
        var prometheusURL: String?

        @Option(
            name: .customLong("grafana-url"),
            help: ArgumentHelp("Grafana to re-provision and check (default: STACKPILOT_GRAFANA_URL, else GRAFANA_URL, else the manifest's).", valueName: "url"))
        var grafanaURL: String?

        @Flag(
            name: .customLong("targets-by-address"),
            help:
                "Check each scrape target at its manifest address (service:port, as Prometheus scrapes it) instead of its metrics_url: for a supervisor on the stack's network."
        )
        var targetsByAddress = false

        /// The URLs that replace the manifest's: a flag, else `STACKPILOT_PROMETHEUS_URL` /
        /// `STACKPILOT_GRAFANA_URL` (what the exporter service of stacks/monitoring.yml sets, since
        /// the manifest's 127.0.0.1 URLs are the host's view); `nil` keeps the manifest's.
        struct URLOverrides: Equatable {
            var prometheus: String?
            var grafana: String?
        }

        func urlOverrides(environment: [String: String]) -> URLOverrides {
            func given(_ value: String?) -> String? { value.flatMap { $0.isEmpty ? nil : $0 } }
            return URLOverrides(
                prometheus: given(prometheusURL) ?? given(environment["STACKPILOT_PROMETHEUS_URL"]),
                grafana: given(grafanaURL) ?? given(environment["STACKPILOT_GRAFANA_URL"]))
        }

        /// `http://ADDRESS/metrics` for every target (`--targets-by-address`).
        static func byAddress(_ targets: [Manifest.Target]) -> [Manifest.Target] {
            targets.map { target in
                var target = target
                target.metricsURL = "http://\(target.address)/metrics"
                return target
            }
        }

        /// Healing, re-provisioning and doctor-as-metrics for the manifest's stacks (and --project).
        func supervisionServices(
            engine client: DockerEngine.Client, registry: PrometheusCollectorRegistry, logger: Logger,
            environment processEnvironment: [String: String] = ProcessInfo.processInfo.environment
        ) throws -> [any Service] {
            let overrides = urlOverrides(environment: processEnvironment)
            var adjusted = processEnvironment
            if let grafana = overrides.grafana { adjusted["GRAFANA_URL"] = grafana }
            let context = CommandContext(engine: engine, manifest: manifest.path, environment: adjusted)
            let loaded = try context.optionalManifest()
            if loaded == nil {
                logger.info("no manifest at \(context.manifestPath): healing only --project stacks, no doctor metrics, no re-provisioning")
            }
            let provisioner = loaded == nil ? nil : try context.provisioner(healthTimeout: .seconds(120), logger: logger)
            let reprovision: @Sendable () async -> Void = {
                guard let provisioner else { return }
                do {
                    let report = try await provisioner.sync()
                    logger.info(
                        "Grafana provisioned",
                        metadata: ["created": "\(report.count(.created))", "updated": "\(report.count(.updated))", "unchanged": "\(report.count(.unchanged))"])
                } catch {
                    logger.error("could not provision Grafana: \(error)")
                }
            }
            var services: [any Service] = []
            let healed = (loaded?.deployment.map(\.project) ?? []) + projects
            if loaded?.swarm?.enabled == true {
                // Swarm replaces failed and unhealthy tasks itself: watch it, never heal against it.
                services.append(SwarmWatcher(engine: client, registry: registry, logger: logger, onGrafanaMoved: reprovision))
            } else if !noHeal && !healed.isEmpty {
                let policy = HealPolicy(gracePeriod: healGrace.duration, maxRestarts: healMaxRestarts)
                services.append(
                    Healer(
                        engine: client, configuration: .init(projects: healed, policy: policy), registry: registry, logger: logger,
                        onGrafanaStart: reprovision))
            }
            if loaded != nil, doctorInterval.duration > .zero {
                var made = try context.doctorSetup(engine: client, prometheusURL: overrides.prometheus, periodic: true)
                if targetsByAddress { made.manifest.targets = Self.byAddress(made.manifest.targets) }
                let setup = made
                services.append(
                    DoctorMetricsService(interval: doctorInterval.duration, registry: registry, logger: logger) {
                        // The supervisor's own stats check is left out: it would measure the exporter measuring.
                        Doctor.checks(setup).filter { $0.group != .resources }
                    })
            }
            if watchDashboards, let loaded {
                services.append(DirectoryWatcher(directory: loaded.dashboardsDirectory, interval: .seconds(2), logger: logger, onChange: reprovision))
            }
            return services
        }

        func validate() throws {
            do {
                _ = try ExporterServer.parseListen(listen)
            } catch {
                throw ValidationError(error.description)
            }
            guard cache.duration <= .seconds(300) else {
                throw ValidationError("--cache \(cache) must be at most 300 seconds")
            }
            guard healMaxRestarts >= 1 else {
                throw ValidationError("--heal-max-restarts \(healMaxRestarts) must be at least 1 (--no-heal turns healing off)")
            }
            for (flag, value) in [("--prometheus-url", prometheusURL), ("--grafana-url", grafanaURL)] {
                guard let value else { continue }
                guard let url = URL(string: value), ["http", "https"].contains(url.scheme ?? ""), url.host?.isEmpty == false else {
                    throw ValidationError("\(flag) \"\(HTTPEndpoint.redactingCredentials(value))\" is not an http:// or https:// URL")
                }
            }
            if projects.contains("") {
                throw ValidationError("--project needs a compose project name")
            }
        }

        func run() async throws {
            let address = try ExporterServer.parseListen(listen)
            let client = try engine.makeClient()
            let logger = Logger(label: "stackpilot.supervise")
            // The manifest, the doctor setup and the credentials first: bad input (exit 2) never
            // reaches the engine and never starts a server.
            let registry = PrometheusCollectorRegistry()
            let supervision = try supervisionServices(engine: client, registry: registry, logger: logger)

            // Pick the source now when a container runs; otherwise decide without a probe.
            let probe = try? await client.runningContainers(labels: labels).first
            let resolved: (StatsSourceKind, CgroupReader?)
            do {
                resolved = try StatsCollector.resolve(source, engineIsLocal: client.isLocal, probe: probe)
            } catch {
                throw CommandFailure(badInput: error.description)
            }
            let collector = try StatsCollector(source: resolved.0, engine: client, cgroup: resolved.1, logger: logger)
            let exporter = ContainerMetricsExporter(
                engine: client, collector: collector,
                configuration: .init(labels: labels, cacheTTL: cache.duration),
                registry: registry, gpu: GPUMetrics(registry: registry, source: .system(), logger: logger), logger: logger)
            logger.info("collecting container stats", metadata: ["source": "\(resolved.0.rawValue)", "engine": "\(client.endpoint.description)"])

            let http = ExporterServer.makeService(exporter: exporter, host: address.host, port: address.port, logger: logger)
            let group = SupervisorGroup(services: [http] + supervision)
            do {
                try await group.run(logger: logger)
            } catch {
                throw CommandFailure(failed: "the exporter stopped: \(error)")
            }
        }
    }
}
