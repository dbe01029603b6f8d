import DockerEngine
import Foundation

extension Orchestration {
    public struct UpOptions: Sendable {
        /// Create containers but start none (`up --no-start`).
        public var start: Bool
        /// Wait until every service is running and healthy (or completed with 0).
        public var wait: Bool
        /// With `wait`: give up after this long.
        public var waitTimeout: Duration?
        /// Check bind-mount sources and published ports on this machine before touching anything
        /// (right when the engine is local, as it is with a unix socket).
        public var checkLocalResources: Bool
        /// Seconds to give a container to stop when it is recreated.
        public var stopTimeout: Int?

        public init(start: Bool = true, wait: Bool = false, waitTimeout: Duration? = nil, checkLocalResources: Bool = true, stopTimeout: Int? = nil) {
            self.start = start
            self.wait = wait
            self.waitTimeout = waitTimeout
            self.checkLocalResources = checkLocalResources
            self.stopTimeout = stopTimeout
        }
    }
}

extension Orchestration.Executor {
    // MARK: up

    /// Executes `plan` for `project`: images, then networks and volumes, then containers
    /// (created all, started along the dependency graph as conditions are met).
    public func up(
        _ project: Orchestration.DesiredProject, plan: Orchestration.Plan, options: Orchestration.UpOptions = Orchestration.UpOptions()
    ) async throws(OrchestrationError) {
        // Everything knowable in advance, reported together, before anything is touched.
        var problems = plan.problems
        if options.checkLocalResources { problems += Orchestration.Preflight.check(project: project, plan: plan) }
        if !problems.isEmpty { throw .preflight(problems) }
        for w in plan.warnings { progress(.warning(w)) }
        try Self.checkCancelled()

        // 1. Images, before any other service is touched.
        try await runImages(project, plan: plan)
        try Self.checkCancelled()

        // 2. Networks and volumes.
        try await runParallel(plan.actions.filter { $0.kind == .createNetwork || $0.kind == .createVolume }) { action in
            if action.kind == .createNetwork, let n = project.networks.first(where: { $0.name == action.target }) {
                try await engine.createNetwork(n, project: project.name)
            } else if let v = project.volumes.first(where: { $0.name == action.target }) {
                try await engine.createVolume(v, project: project.name)
            }
        }
        try Self.checkCancelled()

        // 3. Removals (scale down, orphans), then creation of every container that needs one.
        try await runParallel(plan.actions.filter { $0.kind == .removeContainer || $0.kind == .removeOrphan }) { action in
            guard let id = action.containerID else { return }
            try? await engine.stopContainer(id: id, timeout: options.stopTimeout)
            try await engine.removeContainer(id: id, force: true, volumes: false)
        }
        let toStart = Orchestration.Locked<[String: [(id: String, restart: Bool)]]>([:])
        // New container ID -> the old one it replaces, parked under a temporary name until the
        // new one has started (so a failed or interrupted recreate never leaves the service
        // without a container).
        let replacing = Orchestration.Locked<[String: String]>([:])
        let graph = Orchestration.DependencyGraph(project: project)
        // Creation needs no order (only starts do), except for the containers a create call names
        // (links, volumes_from, network_mode service:): every other service's containers at once.
        let createEdges = Dictionary(
            uniqueKeysWithValues: project.services.map { ($0.name, $0.createAfter.map { Orchestration.DependencyGraph.Edge(to: $0) }) })
        let createOutcomes = try await Orchestration.DependencyGraph(nodes: graph.nodes, edges: createEdges).run { service in
            guard let s = project.service(service) else { return }
            for action in plan.actions(for: service) {
                switch action.kind {
                case .createContainer, .recreateContainer:
                    let operation = action.kind == .createContainer ? "create container" : "recreate container"
                    let id = try await reported({ .action(action, $0) }, operation: operation, target: action.target) {
                        let number = action.number ?? 1
                        if action.kind == .recreateContainer, let old = action.containerID {
                            let id = try await replaceContainer(project, service: s, number: number, old: old, oldName: action.target)
                            replacing.withLock { $0[id] = old }
                            return id
                        }
                        return try await createContainer(project, service: s, number: number)
                    }.get()
                    toStart.withLock { $0[service, default: []].append((id, false)) }
                case .startContainer:
                    if let id = action.containerID { toStart.withLock { $0[service, default: []].append((id, false)) } }
                case .restartContainer:
                    if let id = action.containerID { toStart.withLock { $0[service, default: []].append((id, true)) } }
                default:
                    break
                }
            }
        }
        if Task.isCancelled { throw .cancelled }
        let createErrors = createOutcomes.compactMap { (service, outcome) -> String? in
            if case .failed(let m) = outcome { return m } else { return nil }
        }
        if !createErrors.isEmpty { throw .engine(operation: "create", target: "project \(project.name)", message: createErrors.joined(separator: "\n")) }
        let replaced = replacing.withLock { $0 }
        guard options.start else {
            // Nothing starts: the replaced containers go now (their replacements exist, created).
            for old in replaced.values {
                try? await engine.stopContainer(id: old, timeout: options.stopTimeout)
                do { try await engine.removeContainer(id: old, force: true, volumes: false) } catch {
                    throw Self.wrap(error, operation: "remove replaced container", target: old)
                }
            }
            return
        }

        // 4. Start along the graph, each service once its dependencies meet their conditions.
        let hub = Orchestration.EventHub()
        let needsEvents = options.wait || project.services.contains { $0.dependencies.contains { $0.condition != .serviceStarted } }
        if needsEvents { await hub.start(engine: engine, project: project.name) }
        defer { Task { await hub.stop() } }
        let failures = Orchestration.Locked<[String: OrchestrationError]>([:])
        let gate = Orchestration.ConditionGate()
        let starts = toStart.withLock { $0 }
        let selected = Set(plan.actions.compactMap(\.service))
        // Each planned service's containers once this run is through with them: the ones it
        // created, started or restarted, and the ones it found up to date (removed ones are gone).
        var known: [String: [String]] = [:]
        for (service, list) in starts { known[service, default: []] += list.map(\.id) }
        for a in plan.actions where a.kind == .upToDate { if let s = a.service, let id = a.containerID { known[s, default: []].append(id) } }
        let containersOf = known
        // --wait-timeout bounds the whole start, dependency waits included.
        let dependencyDeadline = options.wait ? options.waitTimeout.map { Deadline(end: ContinuousClock.now + $0, length: $0) } : nil
        let startGraph = graph.restricted(to: selected)
        let outcomes = try await startGraph.run { service in
            guard let s = project.service(service) else { return }
            let pending = starts[service] ?? []
            if pending.isEmpty { return }
            for dep in s.dependencies {
                guard let d = project.service(dep.service) else { continue }
                progress(.waiting(service: service, dependency: dep.service, condition: dep.condition))
                do {
                    try await gate.wait(key: "\(dep.service)|\(dep.condition.rawValue)") {
                        try await waitForCondition(
                            project, service: d, condition: dep.condition, hub: hub, containerIDs: containersOf[dep.service],
                            deadline: dependencyDeadline)
                    }
                } catch let e as OrchestrationError {
                    if dep.required {
                        failures.withLock { $0[service] = e }
                        throw e
                    }
                    progress(.warning("service '\(service)': optional dependency '\(dep.service)' did not become ready (\(e.description)); starting anyway"))
                }
            }
            let actions = plan.actions(for: service)
            for (id, restart) in pending {
                let planned = actions.first { $0.containerID == id }
                let shown = Orchestration.PlannedAction(
                    kind: restart ? .restartContainer : .startContainer, service: service,
                    target: planned?.target ?? containerName(project, s, id: id, plan: plan), containerID: id,
                    reason: planned?.kind == .startContainer || planned?.kind == .restartContainer ? planned?.reason ?? "" : "")
                let outcome = await reported({ .action(shown, $0) }, operation: "start container", target: shown.target) {
                    // A replaced container stops only now, just before its replacement starts,
                    // and is removed once that has started.
                    let old = replaced[id]
                    if let old { try await engine.stopContainer(id: old, timeout: s.stopTimeout ?? options.stopTimeout) }
                    if restart { try await engine.restartContainer(id: id, timeout: s.stopTimeout) } else { try await engine.startContainer(id: id) }
                    if let old, (try? await engine.removeContainer(id: old, force: true, volumes: false)) == nil {
                        progress(.warning("the container \(shown.target) replaced could not be removed yet; the next `up` removes it"))
                    }
                }
                if case .failure(let e) = outcome {
                    failures.withLock { $0[service] = e }
                    throw e
                }
            }
        }
        if Task.isCancelled { throw .cancelled }
        let failed = failures.withLock { $0 }
        if !failed.isEmpty {
            // Name the dependents that were left created, per failure.
            var errors: [OrchestrationError] = []
            var seen = Set<String>()
            for (_, error) in failed.sorted(by: { $0.key < $1.key }) {
                if case .dependencyFailed(let service, let container, let state, let reason, let tail, _) = error {
                    guard seen.insert(container).inserted else { continue }
                    let left = outcomes.filter { (name, outcome) in
                        switch outcome {
                        case .failed, .skipped: return (starts[name]?.isEmpty == false) && name != service
                        default: return false
                        }
                    }.keys.sorted().map { name in
                        (starts[name] ?? []).map { containerName(project, project.service(name)!, id: $0.id, plan: plan) }.joined(separator: ", ")
                    }
                    errors.append(.dependencyFailed(service: service, container: container, state: state, reason: reason, logTail: tail, dependents: left))
                } else {
                    errors.append(error)
                }
            }
            throw errors.count == 1 ? errors[0] : .multiple(errors)
        }

        // 5. --wait.
        if options.wait {
            try await waitReady(project, services: startGraph.nodes, timeout: options.waitTimeout, hub: hub)
        }
    }

    private func containerName(_ project: Orchestration.DesiredProject, _ s: Orchestration.DesiredService, id: String, plan: Orchestration.Plan) -> String {
        if let a = plan.actions.first(where: { $0.containerID == id }) { return a.target }
        return created.withLock { $0[id] } ?? Orchestration.Naming.containerName(project: project.name, service: s.name, number: 1, explicit: s.containerName)
    }

    private func createContainer(_ project: Orchestration.DesiredProject, service s: Orchestration.DesiredService, number: Int) async throws -> String {
        let name = Orchestration.Naming.containerName(project: project.name, service: s.name, number: number, explicit: s.containerName)
        var spec = s.container
        spec.image = s.image
        spec.labels = project.containerLabels(service: s, number: number)
        // API 1.41 accepts one endpoint at create time; the others are connected before start.
        var extra: [(String, [String])] = []
        if var endpoints = spec.networkingConfig?.endpointsConfig, !endpoints.isEmpty {
            for key in endpoints.keys {
                var aliases = endpoints[key]?.aliases ?? []
                if !aliases.contains(s.name) { aliases.insert(s.name, at: 0) }
                endpoints[key]?.aliases = aliases
            }
            let primary = spec.hostConfig?.networkMode.flatMap { endpoints[$0] != nil ? $0 : nil } ?? endpoints.keys.sorted()[0]
            for key in endpoints.keys.sorted() where key != primary { extra.append((key, endpoints[key]?.aliases ?? [])) }
            spec.networkingConfig = DockerEngine.NetworkingConfig(endpointsConfig: [primary: endpoints[primary]!])
            if spec.hostConfig == nil { spec.hostConfig = DockerEngine.HostConfig() }
            spec.hostConfig?.networkMode = primary
        }
        let id = try await engine.createContainer(name: name, spec: spec)
        created.withLock { $0[id] = name }
        do {
            for (network, aliases) in extra {
                try await engine.connectNetwork(network, container: id, aliases: aliases)
            }
            if !s.copies.isEmpty {
                let archive = try Orchestration.FileCopy.archive(s.copies)
                try await engine.copyToContainer(id: id, path: "/", archive: archive.data, copyUIDGID: archive.copyUIDGID)
            }
        } catch {
            // Half-connected or without its copied files, it would carry the config hash of a whole
            // one: it goes. (An interruption here is caught by the planner, which checks network membership.)
            await Self.evenIfCancelled { [engine] in try? await engine.removeContainer(id: id, force: true, volumes: false) }
            throw error
        }
        return id
    }

    /// Recreate, compose v2's way: park the old container under `<id12>_<name>`, create the new
    /// one under the name; if that fails, put the old one back under its name, untouched (still
    /// running). The old one is stopped just before the new one starts, and removed after.
    /// An interruption at any point leaves a container for the service, and the planner picks
    /// up from there (see `Planner.current`).
    private func replaceContainer(
        _ project: Orchestration.DesiredProject, service s: Orchestration.DesiredService, number: Int, old: String, oldName: String
    ) async throws -> String {
        let name = Orchestration.Naming.containerName(project: project.name, service: s.name, number: number, explicit: s.containerName)
        let parked = Orchestration.Naming.parkedName(id: old, name: name)
        if oldName != parked { try await engine.renameContainer(id: old, to: parked) }
        do {
            return try await createContainer(project, service: s, number: number)
        } catch {
            let restored = await Self.evenIfCancelled { [engine] in (try? await engine.renameContainer(id: old, to: name)) != nil }
            if !restored { progress(.warning("container \(parked) could not be renamed back to \(name); the next `up` recreates it")) }
            throw error
        }
    }

    private func runImages(_ project: Orchestration.DesiredProject, plan: Orchestration.Plan) async throws(OrchestrationError) {
        let actions = plan.actions.filter { $0.kind == .pullImage || $0.kind == .buildImage }
        if actions.isEmpty { return }
        let engine = self.engine
        let progress = self.progress
        let errors = await withTaskGroup(of: OrchestrationError?.self) { group in
            for action in actions {
                group.addTask {
                    let what = action.kind == .buildImage ? "could not be built" : "could not be pulled"
                    let outcome = await reported(
                        { .action(action, $0) }, operation: action.kind.rawValue, target: action.target,
                        failure: { error in
                            let message = Self.message(of: error)
                            return (message, .image(service: action.service ?? "?", image: action.target, message: "\(what): \(message)"))
                        }
                    ) {
                        if action.kind == .buildImage, let s = project.service(action.service ?? ""), let build = s.build {
                            try await engine.buildImage(action.target, spec: build) { line in progress(.build(image: action.target, line: line)) }
                        } else {
                            try await engine.pullImage(action.target) { p in progress(.pull(image: action.target, p)) }
                        }
                    }
                    if case .failure(let e) = outcome { return e }
                    return nil
                }
            }
            var out: [OrchestrationError] = []
            for await e in group { if let e { out.append(e) } }
            return out
        }
        try Self.throwCollected(errors)
    }

    private func runParallel(
        _ actions: [Orchestration.PlannedAction], _ body: @escaping @Sendable (Orchestration.PlannedAction) async throws -> Void
    ) async throws(OrchestrationError) {
        if actions.isEmpty { return }
        let progress = self.progress
        let errors = await withTaskGroup(of: OrchestrationError?.self) { group in
            for action in actions {
                group.addTask {
                    if case .failure(let e) = await reported(
                        { .action(action, $0) }, operation: action.kind.rawValue, target: action.target, { try await body(action) })
                    {
                        return e
                    }
                    return nil
                }
            }
            var out: [OrchestrationError] = []
            for await e in group { if let e { out.append(e) } }
            return out
        }
        try Self.throwCollected(errors)
    }
}
