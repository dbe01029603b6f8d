import Compose
import DockerEngine
import Foundation
import GPU
import Grafana
import PrometheusAPI

extension Doctor {
    /// What the checks talk to. Built by the command from the manifest and the environment.
    public struct Setup: Sendable {
        public var engine: DockerEngine.Client
        public var manifest: Manifest
        public var projects: [ComposeProject]
        public var prometheus: PrometheusAPI.Client
        public var grafana: GrafanaSetup?
        /// The repository's alert rules (stacks/grafana/provisioning/alerting), evaluated now.
        public var alerts: [GuideAlert]
        /// How long the targets check waits for the next scrape of a target whose container
        /// started after its last scrape (the default waits at most 30 s).
        public var pendingScrapes = PendingScrapeWait()
        /// Where the GPU checks read NVML; `nil`: this host's (loaded when the GPU group runs).
        public var gpu: GPU.Source?
        /// The deployment is a swarm (`--swarm`); the manifest's `swarm.enabled` says so too.
        public var swarm = false
        /// What the swarm checks take as this kernel's IPVS support; nil: this machine's.
        public var ipvs: IPVSSupport?

        /// The swarm group runs: the deployment is a swarm, chosen explicitly, never guessed.
        public var isSwarm: Bool { swarm || manifest.swarm?.enabled == true }

        public init(
            engine: DockerEngine.Client, manifest: Manifest, projects: [ComposeProject], prometheus: PrometheusAPI.Client, grafana: GrafanaSetup?,
            alerts: [GuideAlert]
        ) {
            self.engine = engine
            self.manifest = manifest
            self.projects = projects
            self.prometheus = prometheus
            self.grafana = grafana
            self.alerts = alerts
        }
    }

    /// Every check of the guide's troubleshooting section, and the ones a person would think of
    /// next, in report order. `only` keeps the named groups.
    public static func checks(_ setup: Setup, only: Set<Group>? = nil) -> [Check] {
        var checks = engineChecks(setup.engine)
        checks += stackChecks(setup.engine, projects: setup.projects)
        checks += metricsChecks(setup.manifest.targets)
        checks += prometheusChecks(setup.prometheus, manifest: setup.manifest, engine: setup.engine, pendingScrapes: setup.pendingScrapes)
        if let grafana = setup.grafana {
            checks += grafanaChecks(grafana)
        }
        checks += alertChecks(setup.prometheus, alerts: setup.alerts)
        checks += resourceChecks(setup.engine, projects: setup.projects)
        if only?.contains(.gpu) ?? true {
            checks += gpuChecks(setup.engine, projects: setup.projects, source: setup.gpu ?? .system())
        }
        if setup.isSwarm {
            let ipvs = setup.ipvs
            checks += swarmChecks(
                setup.engine, prometheus: setup.prometheus, registry: setup.manifest.swarm?.registry,
                ipvs: { ipvs ?? IPVSSupport.thisKernel() })
        }
        guard let only else { return checks }
        return checks.filter { only.contains($0.group) }
    }
}
