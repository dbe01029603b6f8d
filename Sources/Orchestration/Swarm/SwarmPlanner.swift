import DockerEngine

extension Orchestration {
    /// What exists of one stack on the swarm: the objects with its namespace label, and the
    /// networks (by name, stack-labelled or not: an external network is anyone's).
    public struct SwarmObserved: Sendable {
        public var services: [DockerEngine.Service]
        public var networks: [DockerEngine.Network]
        public var configs: [DockerEngine.SwarmConfig]
        public var secrets: [DockerEngine.SwarmSecret]

        public init(
            services: [DockerEngine.Service] = [], networks: [DockerEngine.Network] = [], configs: [DockerEngine.SwarmConfig] = [],
            secrets: [DockerEngine.SwarmSecret] = []
        ) {
            self.services = services
            self.networks = networks
            self.configs = configs
            self.secrets = secrets
        }

        public func service(named name: String) -> DockerEngine.Service? { services.first { $0.spec?.name == name } }
    }

    /// The pure decision of a swarm deploy: desired stack against what exists, each action with its
    /// reason. A service is updated only when the hash label of its desired spec differs from the one
    /// it carries, or its replica count was changed behind the stack's back: a second deploy of the
    /// same files plans no write at all (`docker stack deploy` updates every service on every run).
    public enum SwarmPlanner {
        public struct Options: Sendable {
            /// Remove services of the stack that the files no longer have (`docker stack deploy --prune`).
            public var removeOrphans: Bool
            /// Images to push first (`SwarmImages.plan`): local reference -> registry reference.
            public var pushes: [(local: String, remote: String)]
            /// Networks an earlier stack of the same dry run would create (they count as there).
            public var pendingNetworks: Set<String>

            public init(removeOrphans: Bool = false, pushes: [(local: String, remote: String)] = [], pendingNetworks: Set<String> = []) {
                self.removeOrphans = removeOrphans
                self.pushes = pushes
                self.pendingNetworks = pendingNetworks
            }
        }

        public static func plan(_ desired: SwarmProject, _ observed: SwarmObserved, options: Options = .init()) -> Plan {
            var plan = Plan(project: desired.namespace)
            let networksByName = Dictionary(observed.networks.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            for n in desired.networks {
                if options.pendingNetworks.contains(n.name) { continue }
                if let existing = networksByName[n.name] {
                    if existing.scope != "swarm" {
                        plan.problems.append(
                            "network \(n.name) exists as a \(existing.scope ?? "local") network (driver \(existing.driver ?? "?")): "
                                + "swarm services need a swarm-scoped one; remove it (stackpilot down without --swarm) or name another")
                    }
                } else if n.external {
                    plan.problems.append(
                        "external network \(n.name) does not exist on the swarm (create it: docker network create -d overlay --attachable \(n.name))")
                } else {
                    plan.actions.append(PlannedAction(kind: .createNetwork, target: n.name, reason: "no such network"))
                }
            }
            let configNames = Set(observed.configs.compactMap(\.spec?.name))
            for c in desired.configs where !configNames.contains(c.name) {
                plan.actions.append(PlannedAction(kind: .createConfig, target: c.name, reason: "new content of \(c.labels[SwarmLabels.source] ?? c.name)"))
            }
            let secretNames = Set(observed.secrets.compactMap(\.spec?.name))
            for s in desired.secrets where !secretNames.contains(s.name) {
                plan.actions.append(PlannedAction(kind: .createSecret, target: s.name, reason: "new content of \(s.labels[SwarmLabels.source] ?? s.name)"))
            }
            var changedServices = Set<String>()
            for s in desired.services {
                if let existing = observed.service(named: s.name) {
                    let labelled = existing.spec?.labels?[SwarmLabels.specHash]
                    let replicas = existing.spec?.mode?.replicated?.replicas
                    if labelled != s.specHash {
                        let reason = labelled == nil ? "deployed without StackPilot's spec hash" : "its spec changed"
                        plan.actions.append(PlannedAction(kind: .updateService, service: s.service, target: s.name, containerID: existing.id, reason: reason))
                        changedServices.insert(s.service)
                    } else if !s.global, let replicas, replicas != UInt64(s.replicas) {
                        plan.actions.append(
                            PlannedAction(
                                kind: .updateService, service: s.service, target: s.name, containerID: existing.id,
                                reason: "\(replicas) replicas, the stack says \(s.replicas)"))
                        changedServices.insert(s.service)
                    } else {
                        plan.actions.append(
                            PlannedAction(kind: .upToDate, service: s.service, target: s.name, containerID: existing.id, reason: "spec unchanged"))
                    }
                } else {
                    plan.actions.append(PlannedAction(kind: .createService, service: s.service, target: s.name, reason: "no such service"))
                    changedServices.insert(s.service)
                }
            }
            // Push only what a created or updated service needs (a no-op deploy pushes nothing).
            let needed = Set(desired.services.filter { changedServices.contains($0.service) }.map(\.image))
            let pushes = options.pushes.filter { needed.contains($0.remote) }.map {
                PlannedAction(kind: .pushImage, target: $0.remote, reason: "local image \($0.local), the nodes pull from the registry")
            }
            plan.actions.insert(contentsOf: pushes, at: 0)
            let desiredNames = Set(desired.services.map(\.name))
            for orphan in observed.services where !desiredNames.contains(orphan.spec?.name ?? "") {
                let name = orphan.spec?.name ?? orphan.id
                if options.removeOrphans {
                    plan.actions.append(PlannedAction(kind: .removeService, target: name, containerID: orphan.id, reason: "no longer in the stack"))
                } else {
                    plan.warnings.append("service \(name) is no longer in the stack (remove it with --remove-orphans)")
                }
            }
            // Old contents go once nothing uses them (after the updates above).
            let wantedConfigs = Set(desired.configs.map(\.name)), wantedSecrets = Set(desired.secrets.map(\.name))
            for c in observed.configs where !wantedConfigs.contains(c.spec?.name ?? "") && !inUse(c.spec?.name, observed, desired, config: true) {
                plan.actions.append(PlannedAction(kind: .removeConfig, target: c.spec?.name ?? c.id, containerID: c.id, reason: "content no longer used"))
            }
            for s in observed.secrets where !wantedSecrets.contains(s.spec?.name ?? "") && !inUse(s.spec?.name, observed, desired, config: false) {
                plan.actions.append(PlannedAction(kind: .removeSecret, target: s.spec?.name ?? s.id, containerID: s.id, reason: "content no longer used"))
            }
            return plan
        }

        /// Whether a service that stays (not updated away from it) still refers to the object.
        static func inUse(_ name: String?, _ observed: SwarmObserved, _ desired: SwarmProject, config: Bool) -> Bool {
            guard let name else { return false }
            let desiredNames = Set(desired.services.map(\.name))
            // A service that is kept or updated drops its old references; an orphan left in place keeps them.
            return observed.services.contains { s in
                guard !desiredNames.contains(s.spec?.name ?? "") else { return false }
                let c = s.spec?.taskTemplate?.containerSpec
                return config ? c?.configs?.contains { $0.configName == name } == true : c?.secrets?.contains { $0.secretName == name } == true
            }
        }
    }
}
