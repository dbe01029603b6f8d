import DockerEngine

extension Orchestration {
    public struct PlanOptions: Sendable, Hashable {
        /// Only these services (plus what they depend on); empty means all.
        public var services: [String]
        public var removeOrphans: Bool
        public var forceRecreate: Bool
        public var noRecreate: Bool
        /// `--pull`: overrides every service's pull_policy.
        public var pullOverride: PullPolicy?
        /// `--build`: build every service that has `build:`.
        public var build: Bool
        /// `--no-deps`: do not include dependencies of the named services.
        public var noDeps: Bool

        public init(
            services: [String] = [], removeOrphans: Bool = false, forceRecreate: Bool = false, noRecreate: Bool = false, pullOverride: PullPolicy? = nil,
            build: Bool = false, noDeps: Bool = false
        ) {
            self.services = services
            self.removeOrphans = removeOrphans
            self.forceRecreate = forceRecreate
            self.noRecreate = noRecreate
            self.pullOverride = pullOverride
            self.build = build
            self.noDeps = noDeps
        }
    }

    /// (desired project, observed state) -> plan. Pure: no engine, no file system, no clock.
    public enum Planner {
        public static func plan(_ project: DesiredProject, observed: ObservedState, options: PlanOptions = PlanOptions()) throws(OrchestrationError) -> Plan {
            var plan = Plan(project: project.name)
            let graph = DependencyGraph(project: project)
            if let c = graph.cycle() { throw .dependencyCycle(c) }
            for name in options.services where project.service(name) == nil {
                throw .unknownService(name, project: project.name)
            }
            let selected: [String] =
                options.services.isEmpty
                ? graph.nodes
                : (options.noDeps ? graph.nodes.filter { options.services.contains($0) } : graph.closure(of: options.services))
            let selectedSet = Set(selected)
            let order = try graph.restricted(to: selectedSet).topologicalOrder()

            // Dependencies that are not in the project at all.
            for name in order {
                guard let s = project.service(name) else { continue }
                for d in s.dependencies where project.service(d.service) == nil {
                    if d.required {
                        plan.problems.append("service '\(name)' depends on '\(d.service)', which is not defined in project '\(project.name)'")
                    } else {
                        plan.warnings.append("service '\(name)': optional dependency '\(d.service)' is not defined; going ahead without it")
                    }
                }
            }

            // Images: one action per distinct reference, before anything else is touched.
            var imagesHandled = Set<String>()
            for name in order {
                guard let s = project.service(name) else { continue }
                let present = observed.images[s.image] != nil
                let policy = options.pullOverride ?? s.pullPolicy
                guard imagesHandled.insert(s.image).inserted else { continue }
                if let build = s.build, policy == .build || options.build || !present {
                    let why = options.build ? "--build" : (policy == .build ? "pull_policy: build" : "image not present locally")
                    plan.actions.append(PlannedAction(kind: .buildImage, service: name, target: s.image, reason: "\(why) (context \(build.context))"))
                    continue
                }
                switch policy {
                case .always:
                    plan.actions.append(PlannedAction(kind: .pullImage, service: name, target: s.image, reason: "pull_policy: always"))
                case .missing, .build:
                    if !present {
                        plan.actions.append(PlannedAction(kind: .pullImage, service: name, target: s.image, reason: "image not present locally"))
                    }
                case .never:
                    if !present {
                        plan.problems.append("service '\(name)': image \(s.image) is not present locally and pull_policy is never")
                    }
                }
            }

            // Networks and volumes.
            let observedNetworks = Set(observed.networks.map(\.name))
            for n in project.networks where !observedNetworks.contains(n.name) {
                if n.external {
                    plan.problems.append("network \(n.name) is declared as external but does not exist; create it with `docker network create \(n.name)`")
                } else {
                    plan.actions.append(PlannedAction(kind: .createNetwork, target: n.name, reason: "network '\(n.key)' does not exist"))
                }
            }
            let observedVolumes = Set(observed.volumes.map(\.name))
            for v in project.volumes where !observedVolumes.contains(v.name) {
                if v.external {
                    plan.problems.append("volume \(v.name) is declared as external but does not exist; create it with `docker volume create \(v.name)`")
                } else {
                    plan.actions.append(PlannedAction(kind: .createVolume, target: v.name, reason: "volume '\(v.key)' does not exist"))
                }
            }

            // Containers, in dependency order so restart: true can propagate.
            let mine = observed.containers.filter { $0.composeProject == project.name && !$0.isOneOff }
            var changedServices = Set<String>()
            for name in order {
                guard let s = project.service(name) else { continue }
                let existing = mine.filter { $0.composeService == name }
                let imageID = observed.images[s.image]
                let restartBecause = s.dependencies.first { $0.restart && changedServices.contains($0.service) }?.service
                var serviceChanged = false
                for number in 1...max(1, s.replicas) where s.replicas > 0 {
                    let containerName = Naming.containerName(project: project.name, service: name, number: number, explicit: s.containerName)
                    let (found, leftovers) = current(existing.filter { $0.containerNumber == number }, name: containerName)
                    for old in leftovers {
                        plan.actions.append(
                            PlannedAction(
                                kind: .removeContainer, service: name, target: old.name, containerID: old.id, number: number,
                                reason: "left behind by an interrupted recreate of \(containerName)"))
                    }
                    guard let c = found else {
                        plan.actions.append(
                            PlannedAction(kind: .createContainer, service: name, target: containerName, number: number, reason: "container does not exist"))
                        serviceChanged = true
                        continue
                    }
                    var changes: [String] = []
                    var reason = ""
                    let missingNetworks = Self.missingNetworks(c, service: s)
                    if c.name == Naming.parkedName(id: c.id, name: containerName) {
                        reason = "an interrupted recreate left it renamed to \(c.name)"
                    } else if options.forceRecreate {
                        reason = "--force-recreate"
                    } else if !options.noRecreate {
                        if c.configHash != s.configHash {
                            changes = changedFields(old: c.fieldHashes, new: s.fieldHashes)
                            reason =
                                changes.isEmpty
                                ? "configuration changed (container made by another tool or version; fields unknown)"
                                : "configuration changed: \(changes.joined(separator: ", "))"
                        } else if !missingNetworks.isEmpty {
                            changes = ["networks"]
                            reason = "not connected to \(missingNetworks.joined(separator: ", ")) (its creation was interrupted)"
                        } else if let imageID, let current = c.imageID, !current.isEmpty, current != imageID {
                            changes = ["image"]
                            reason = "image \(s.image) changed (\(short(current)) -> \(short(imageID)))"
                        } else if c.containerState == .dead || c.containerState == .removing {
                            reason = "container is \(c.containerState.rawValue)"
                        }
                    }
                    if !reason.isEmpty {
                        plan.actions.append(
                            PlannedAction(
                                kind: .recreateContainer, service: name, target: c.name, containerID: c.id, number: number, reason: reason,
                                changedFields: changes))
                        serviceChanged = true
                    } else if c.containerState != .running && c.containerState != .restarting {
                        plan.actions.append(
                            PlannedAction(
                                kind: .startContainer, service: name, target: c.name, containerID: c.id, number: number,
                                reason: "container is \(c.containerState.rawValue)"))
                        serviceChanged = true
                    } else if let dep = restartBecause {
                        plan.actions.append(
                            PlannedAction(
                                kind: .restartContainer, service: name, target: c.name, containerID: c.id, number: number,
                                reason: "dependency '\(dep)' changed (depends_on restart: true)"))
                        serviceChanged = true
                    } else {
                        plan.actions.append(
                            PlannedAction(kind: .upToDate, service: name, target: c.name, containerID: c.id, number: number, reason: "up to date"))
                    }
                }
                for c in existing where c.containerNumber > s.replicas {
                    plan.actions.append(
                        PlannedAction(
                            kind: .removeContainer, service: name, target: c.name, containerID: c.id, number: c.containerNumber,
                            reason: "scale is \(s.replicas)"))
                }
                if serviceChanged { changedServices.insert(name) }
            }

            // Orphans: containers of this project for services that are no longer defined.
            let defined = Set(project.services.map(\.name))
            let orphans = mine.filter { !defined.contains($0.composeService ?? "") }
            if !orphans.isEmpty {
                if options.removeOrphans {
                    for c in orphans {
                        plan.actions.append(
                            PlannedAction(
                                kind: .removeOrphan, service: c.composeService, target: c.name, containerID: c.id,
                                reason: "service '\(c.composeService ?? "?")' is no longer defined (--remove-orphans)"))
                    }
                } else {
                    plan.warnings.append(
                        "orphan containers found for project '\(project.name)' (\(orphans.map(\.name).joined(separator: ", "))); remove them with --remove-orphans"
                    )
                }
            }
            return plan
        }

        /// The container that holds slot `name` among those labelled with its number, and the ones
        /// an interrupted recreate left behind (parked as `<id12>_<name>`, see `Naming.parkedName`).
        /// The container under the name wins; without one, the newest parked one is recreated.
        static func current(
            _ candidates: [DockerEngine.ContainerSummary], name: String
        ) -> (DockerEngine.ContainerSummary?, leftovers: [DockerEngine.ContainerSummary]) {
            func isParked(_ c: DockerEngine.ContainerSummary) -> Bool { c.name == Naming.parkedName(id: c.id, name: name) }
            let parked = candidates.filter(isParked).sorted { ($0.created ?? 0, $0.id) > ($1.created ?? 0, $1.id) }
            let others = candidates.filter { !isParked($0) }
            if let chosen = others.first(where: { $0.name == name }) ?? others.first {
                return (chosen, parked)
            }
            return (parked.first, Array(parked.dropFirst()))
        }

        /// Networks the service's create body names that the container is not connected to (a
        /// create interrupted before its extra networks were connected); empty when unknown.
        static func missingNetworks(_ c: DockerEngine.ContainerSummary, service s: DesiredService) -> [String] {
            guard let connected = c.connectedNetworks, let wanted = s.container.networkingConfig?.endpointsConfig?.keys else { return [] }
            return Set(wanted).subtracting(connected).sorted()
        }

        /// Which top-level fields differ between two sets of field hashes.
        static func changedFields(old: [String: String]?, new: [String: String]) -> [String] {
            guard let old, !new.isEmpty else { return [] }
            return Set(old.keys).union(new.keys).filter { old[$0] != new[$0] }.sorted()
        }

        static func short(_ id: String) -> String {
            let hex = id.hasPrefix("sha256:") ? String(id.dropFirst(7)) : id
            return String(hex.prefix(12))
        }
    }
}
