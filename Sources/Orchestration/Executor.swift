import DockerEngine
import Foundation
import Logging
import Synchronization

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

    public struct DownOptions: Sendable {
        public var removeVolumes: Bool
        public var removeOrphans: Bool
        public var timeout: Int?
        public init(removeVolumes: Bool = false, removeOrphans: Bool = false, timeout: Int? = nil) {
            self.removeVolumes = removeVolumes
            self.removeOrphans = removeOrphans
            self.timeout = timeout
        }
    }

    /// One row of `ps`.
    public struct ServiceContainer: Sendable, Hashable {
        public var project: String
        public var service: String
        public var number: Int
        public var details: ContainerDetails
        public init(project: String, service: String, number: Int, details: ContainerDetails) {
            self.project = project
            self.service = service
            self.number = number
            self.details = details
        }
    }

    /// Runs plans against an engine.
    public struct Executor: Sendable {
        public var engine: any OrchestrationEngine
        public var logger: Logger
        public var progress: @Sendable (ProgressEvent) -> Void
        /// How many log lines a failure message carries.
        public var logTailLines = 10
        /// How long a health wait may go without an event before it inspects again anyway.
        public var pollFallback: Duration = .seconds(2)

        public init(engine: any OrchestrationEngine, logger: Logger = Logger(label: "stackpilot.orchestration"), progress: @escaping @Sendable (ProgressEvent) -> Void = { _ in }) {
            self.engine = engine
            self.logger = logger
            self.progress = progress
        }

        // MARK: observe

        /// Reads what exists for `project`: its containers, networks, volumes and the local images it uses.
        public func observe(_ project: DesiredProject) async throws(OrchestrationError) -> ObservedState {
            let engine = self.engine
            do {
                async let containers = engine.listContainers(project: project.name)
                async let networks = engine.listNetworks(project: project.name, names: project.networks.map(\.name))
                async let volumes = engine.listVolumes(project: project.name, names: project.volumes.map(\.name))
                let refs = Array(Set(project.services.map(\.image)))
                let images = try await withThrowingTaskGroup(of: (String, String?).self) { group in
                    for ref in refs { group.addTask { (ref, try await engine.imageID(ref)) } }
                    var out: [String: String] = [:]
                    for try await (ref, id) in group { if let id { out[ref] = id } }
                    return out
                }
                return try await ObservedState(containers: containers, networks: networks, volumes: volumes, images: images)
            } catch {
                throw Self.wrap(error, operation: "observe", target: "project \(project.name)")
            }
        }

        // MARK: up

        /// Executes `plan` for `project`: images, then networks and volumes, then containers
        /// (created all, started along the dependency graph as conditions are met).
        public func up(_ project: DesiredProject, plan: Plan, options: UpOptions = UpOptions()) async throws(OrchestrationError) {
            // Everything knowable in advance, reported together, before anything is touched.
            var problems = plan.problems
            if options.checkLocalResources { problems += Preflight.check(project: project, plan: plan) }
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
            let toStart = Locked<[String: [(id: String, restart: Bool)]]>([:])
            // New container ID -> the old one it replaces, parked under a temporary name until the
            // new one has started (so a failed or interrupted recreate never leaves the service
            // without a container).
            let replacing = Locked<[String: String]>([:])
            let graph = DependencyGraph(project: project)
            // Creation needs no order (only starts do), except for the containers a create call names
            // (links, volumes_from, network_mode service:): every other service's containers at once.
            let createEdges = Dictionary(uniqueKeysWithValues: project.services.map { ($0.name, $0.createAfter.map { DependencyGraph.Edge(to: $0) }) })
            let createOutcomes = try await DependencyGraph(nodes: graph.nodes, edges: createEdges).run { service in
                guard let s = project.service(service) else { return }
                for action in plan.actions(for: service) {
                    switch action.kind {
                    case .createContainer, .recreateContainer:
                        progress(.action(action, .started))
                        do {
                            let number = action.number ?? 1
                            let id: String
                            if action.kind == .recreateContainer, let old = action.containerID {
                                id = try await replaceContainer(project, service: s, number: number, old: old, oldName: action.target)
                                replacing.withLock { $0[id] = old }
                            } else {
                                id = try await createContainer(project, service: s, number: number)
                            }
                            toStart.withLock { $0[service, default: []].append((id, false)) }
                            progress(.action(action, .done))
                        } catch {
                            let e = Self.wrap(error, operation: action.kind == .createContainer ? "create container" : "recreate container", target: action.target)
                            progress(.action(action, .failed(e.description)))
                            throw e
                        }
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
            let hub = EventHub()
            let needsEvents = options.wait || project.services.contains { $0.dependencies.contains { $0.condition != .serviceStarted } }
            if needsEvents { await hub.start(engine: engine, project: project.name) }
            defer { Task { await hub.stop() } }
            let failures = Locked<[String: OrchestrationError]>([:])
            let gate = ConditionGate()
            let starts = toStart.withLock { $0 }
            let selected = Set(plan.actions.compactMap(\.service))
            // Each planned service's containers once this run is through with them: the ones it
            // created, started or restarted, and the ones it found up to date (removed ones are gone).
            var known: [String: [String]] = [:]
            for (service, list) in starts { known[service, default: []] += list.map(\.id) }
            for a in plan.actions where a.kind == .upToDate { if let s = a.service, let id = a.containerID { known[s, default: []].append(id) } }
            let containersOf = known
            // --wait-timeout bounds the whole start, dependency waits included.
            let dependencyDeadline = options.wait ? options.waitTimeout.map { (ContinuousClock.now + $0, $0) } : nil
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
                            try await waitForCondition(project, service: d, condition: dep.condition, hub: hub, containerIDs: containersOf[dep.service],
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
                    let shown = PlannedAction(kind: restart ? .restartContainer : .startContainer, service: service, target: planned?.target ?? containerName(project, s, id: id, plan: plan), containerID: id, reason: planned?.kind == .startContainer || planned?.kind == .restartContainer ? planned?.reason ?? "" : "")
                    progress(.action(shown, .started))
                    do {
                        // A replaced container stops only now, just before its replacement starts,
                        // and is removed once that has started.
                        let old = replaced[id]
                        if let old { try await engine.stopContainer(id: old, timeout: s.stopTimeout ?? options.stopTimeout) }
                        if restart { try await engine.restartContainer(id: id, timeout: s.stopTimeout) } else { try await engine.startContainer(id: id) }
                        if let old, (try? await engine.removeContainer(id: old, force: true, volumes: false)) == nil {
                            progress(.warning("the container \(shown.target) replaced could not be removed yet; the next `up` removes it"))
                        }
                        progress(.action(shown, .done))
                    } catch {
                        let e = Self.wrap(error, operation: "start container", target: shown.target)
                        progress(.action(shown, .failed(e.description)))
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

        private func containerName(_ project: DesiredProject, _ s: DesiredService, id: String, plan: Plan) -> String {
            if let a = plan.actions.first(where: { $0.containerID == id }) { return a.target }
            return created.withLock { $0[id] } ?? Naming.containerName(project: project.name, service: s.name, number: 1, explicit: s.containerName)
        }

        /// Names of containers created during this executor's runs, by ID (for messages).
        private let created = Locked<[String: String]>([:])

        private func createContainer(_ project: DesiredProject, service s: DesiredService, number: Int) async throws -> String {
            let name = Naming.containerName(project: project.name, service: s.name, number: number, explicit: s.containerName)
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
        private func replaceContainer(_ project: DesiredProject, service s: DesiredService, number: Int, old: String, oldName: String) async throws -> String {
            let name = Naming.containerName(project: project.name, service: s.name, number: number, explicit: s.containerName)
            let parked = Naming.parkedName(id: old, name: name)
            if oldName != parked { try await engine.renameContainer(id: old, to: parked) }
            do {
                return try await createContainer(project, service: s, number: number)
            } catch {
                let restored = await Self.evenIfCancelled { [engine] in (try? await engine.renameContainer(id: old, to: name)) != nil }
                if !restored { progress(.warning("container \(parked) could not be renamed back to \(name); the next `up` recreates it")) }
                throw error
            }
        }

        private func runImages(_ project: DesiredProject, plan: Plan) async throws(OrchestrationError) {
            let actions = plan.actions.filter { $0.kind == .pullImage || $0.kind == .buildImage }
            if actions.isEmpty { return }
            let engine = self.engine
            let progress = self.progress
            let errors = await withTaskGroup(of: OrchestrationError?.self) { group in
                for action in actions {
                    group.addTask {
                        progress(.action(action, .started))
                        do {
                            if action.kind == .buildImage, let s = project.service(action.service ?? ""), let build = s.build {
                                try await engine.buildImage(action.target, spec: build) { line in progress(.build(image: action.target, line: line)) }
                            } else {
                                try await engine.pullImage(action.target) { p in progress(.pull(image: action.target, p)) }
                            }
                            progress(.action(action, .done))
                            return nil
                        } catch {
                            let message = Self.message(of: error)
                            progress(.action(action, .failed(message)))
                            let what = action.kind == .buildImage ? "could not be built" : "could not be pulled"
                            return .image(service: action.service ?? "?", image: action.target, message: "\(what): \(message)")
                        }
                    }
                }
                var out: [OrchestrationError] = []
                for await e in group { if let e { out.append(e) } }
                return out
            }
            if errors.count == 1 { throw errors[0] }
            if !errors.isEmpty { throw .multiple(errors) }
        }

        private func runParallel(_ actions: [PlannedAction], _ body: @escaping @Sendable (PlannedAction) async throws -> Void) async throws(OrchestrationError) {
            if actions.isEmpty { return }
            let progress = self.progress
            let errors = await withTaskGroup(of: OrchestrationError?.self) { group in
                for action in actions {
                    group.addTask {
                        progress(.action(action, .started))
                        do {
                            try await body(action)
                            progress(.action(action, .done))
                            return nil
                        } catch {
                            let e = Self.wrap(error, operation: action.kind.rawValue, target: action.target)
                            progress(.action(action, .failed(e.description)))
                            return e
                        }
                    }
                }
                var out: [OrchestrationError] = []
                for await e in group { if let e { out.append(e) } }
                return out
            }
            if errors.count == 1 { throw errors[0] }
            if !errors.isEmpty { throw .multiple(errors) }
        }

        // MARK: conditions

        /// Waits until every container of `service` meets `condition`; throws `.dependencyFailed` otherwise.
        /// `containerIDs`: the service's containers when this run knows them (it just created, started or
        /// kept each one); otherwise they are listed.
        /// Waits until every container of `service` meets `condition`. Fails when it never will: it
        /// exited, turned unhealthy, or (for service_healthy) keeps restarting — a crash loop under a
        /// restart policy is never unhealthy, so without this the wait would not end — or when the
        /// deadline (the --wait-timeout, and how long it was) passes.
        func waitForCondition(_ project: DesiredProject, service: DesiredService, condition: DependencyCondition, hub: EventHub, containerIDs: [String]? = nil,
                              deadline: (ContinuousClock.Instant, Duration)? = nil) async throws {
            let ids: [String]
            if let containerIDs, !containerIDs.isEmpty {
                ids = containerIDs
            } else {
                ids = try await engine.listContainers(project: project.name).filter { $0.service == service.name && !$0.isOneOff }.map(\.id)
            }
            if ids.isEmpty {
                throw OrchestrationError.dependencyFailed(service: service.name, container: "(none)", state: "missing", reason: "the service has no container", logTail: [], dependents: [])
            }
            for id in ids {
                var firstRestartCount: Int?
                while true {
                    try Task.checkCancellation()
                    let seen = await hub.counter(id)
                    let d = try await engine.inspectContainer(id: id)
                    let first = firstRestartCount ?? d.restartCount
                    firstRestartCount = first
                    var evaluation = Self.evaluate(d, condition: condition)
                    if evaluation == .pending, condition == .serviceHealthy, let loop = Self.crashLoop(d, restartCountBefore: first) {
                        evaluation = loop
                    }
                    if evaluation == .pending, let (end, length) = deadline, ContinuousClock.now >= end {
                        evaluation = .failed("it did not become \(condition == .serviceHealthy ? "healthy" : "ready") within the --wait-timeout of \(length)")
                    }
                    switch evaluation {
                    case .met:
                        progress(.ready(service: service.name, detail: "\(d.name) \(d.stateDescription)"))
                    case .failed(let reason):
                        throw OrchestrationError.dependencyFailed(service: service.name, container: d.name, state: d.stateDescription, reason: reason, logTail: await tail(of: d), dependents: [])
                    case .pending:
                        var wait = pollFallback
                        if let (end, _) = deadline { wait = max(min(wait, end - ContinuousClock.now), .milliseconds(10)) }
                        await hub.wait(for: id, after: seen, fallback: wait)
                        continue
                    }
                    break
                }
            }
        }

        enum Evaluation: Equatable { case met, pending, failed(String) }

        /// Restarts seen while waiting for service_healthy that make it a crash loop, not a slow start.
        static let crashLoopRestarts = 2

        /// `.failed` when `d` restarted `crashLoopRestarts` times since its count was `restartCountBefore`.
        static func crashLoop(_ d: ContainerDetails, restartCountBefore: Int) -> Evaluation? {
            let restarts = d.restartCount - restartCountBefore
            guard restarts >= crashLoopRestarts else { return nil }
            return .failed("it keeps restarting (restarted \(restarts) times while waiting, last exit code \(d.exitCode))")
        }

        /// Whether a container meets a depends_on condition now, never will, or may later.
        static func evaluate(_ d: ContainerDetails, condition: DependencyCondition) -> Evaluation {
            let exitedBadly: Evaluation = .failed(d.oomKilled ? "it was killed for running out of memory (OOMKilled)" : "it exited with code \(d.exitCode)")
            switch condition {
            case .serviceStarted:
                switch d.state {
                case .running, .restarting, .paused: return .met
                case .exited, .dead: return d.exitCode == 0 ? .met : exitedBadly
                default: return .pending
                }
            case .serviceHealthy:
                switch d.state {
                case .exited, .dead: return d.exitCode == 0 && !d.oomKilled ? .failed("it exited (code 0) instead of becoming healthy") : exitedBadly
                case .running:
                    switch d.health {
                    case .healthy: return .met
                    case .unhealthy: return .failed("its healthcheck reports unhealthy")
                    case .none: return .failed("depends_on asks for service_healthy but it has no healthcheck")
                    case .starting: return .pending
                    }
                default: return .pending
                }
            case .serviceCompletedSuccessfully:
                switch d.state {
                case .exited, .dead: return d.exitCode == 0 && !d.oomKilled ? .met : exitedBadly
                default: return .pending
                }
            }
        }

        private func tail(of d: ContainerDetails) async -> [String] {
            var lines = (try? await engine.logTail(id: d.id, lines: logTailLines)) ?? []
            if d.health == .unhealthy, let last = d.healthLog.last {
                lines.append("(last health probe) \(last.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
            return lines
        }

        /// `--wait`: every container of `services` running and healthy, or exited with 0.
        func waitReady(_ project: DesiredProject, services: [String], timeout: Duration?, hub: EventHub) async throws(OrchestrationError) {
            let clock = ContinuousClock()
            let deadline = timeout.map { clock.now + $0 }
            do {
                let containers = try await engine.listContainers(project: project.name).filter { c in
                    !c.isOneOff && services.contains(c.service ?? "")
                }
                var pending = containers
                var last: [String: ContainerDetails] = [:]
                var firstRestartCounts: [String: Int] = [:]
                while !pending.isEmpty {
                    try Task.checkCancellation()
                    var still: [ObservedContainer] = []
                    var counters: [String: Int] = [:]
                    for c in pending {
                        counters[c.id] = await hub.counter(c.id)
                        let d = try await engine.inspectContainer(id: c.id)
                        last[c.id] = d
                        let first = firstRestartCounts[c.id] ?? d.restartCount
                        firstRestartCounts[c.id] = first
                        var readiness = Self.readiness(d)
                        if readiness == .pending, let loop = Self.crashLoop(d, restartCountBefore: first) {
                            readiness = loop
                        }
                        switch readiness {
                        case .met: progress(.ready(service: c.service ?? "?", detail: "\(d.name) \(d.stateDescription)"))
                        case .pending: still.append(c)
                        case .failed(let reason):
                            throw OrchestrationError.dependencyFailed(service: c.service ?? "?", container: d.name, state: d.stateDescription, reason: reason, logTail: await tail(of: d), dependents: [])
                        }
                    }
                    pending = still
                    guard let first = pending.first else { break }
                    if let deadline, clock.now >= deadline {
                        let seconds = timeout.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 } ?? 0
                        throw OrchestrationError.waitTimeout(seconds: seconds, notReady: pending.map { c in
                            let d = last[c.id]
                            var line = "service '\(c.service ?? "?")' (container \(c.name)): \(d?.stateDescription ?? "unknown")"
                            if let d, d.health == .starting { line += ", health still starting" }
                            if let d, let probe = d.healthLog.last, !probe.isEmpty { line += "; last health probe: \(probe.trimmingCharacters(in: .whitespacesAndNewlines))" }
                            return line
                        })
                    }
                    var wait = pollFallback
                    if let deadline { wait = min(wait, deadline - clock.now) }
                    await hub.wait(for: first.id, after: counters[first.id] ?? 0, fallback: max(wait, .milliseconds(10)))
                }
            } catch let e as OrchestrationError {
                throw e
            } catch is CancellationError {
                throw .cancelled
            } catch {
                throw Self.wrap(error, operation: "wait", target: "project \(project.name)")
            }
        }

        static func readiness(_ d: ContainerDetails) -> Evaluation {
            switch d.state {
            case .running:
                switch d.health {
                case .none, .healthy: return .met
                case .starting: return .pending
                case .unhealthy: return .failed("its healthcheck reports unhealthy")
                }
            case .exited, .dead:
                return d.exitCode == 0 && !d.oomKilled ? .met : .failed(d.oomKilled ? "it was killed for running out of memory (OOMKilled)" : "it exited with code \(d.exitCode)")
            default:
                return .pending
            }
        }

        // MARK: down, restart, status

        /// Removes the project's containers (dependents first), then its networks, and volumes when asked.
        /// `project` (when the compose file is known) gives the order and the orphans; without it every
        /// container labelled with `projectName` goes.
        public func down(projectName: String, project: DesiredProject?, options: DownOptions = DownOptions()) async throws(OrchestrationError) {
            let engine = self.engine
            let progress = self.progress
            // The networks are read alongside the containers (both reads, one round trip of waiting);
            // they are removed only once every container is gone.
            let networkNames = project?.networks.filter { !$0.external }.map(\.name) ?? []
            async let listedNetworks = Self.capture { try await engine.listNetworks(project: projectName, names: networkNames) }
            let containers: [ObservedContainer]
            do {
                containers = try await engine.listContainers(project: projectName)
            } catch {
                _ = await listedNetworks
                throw Self.wrap(error, operation: "list containers of", target: "project \(projectName)")
            }
            let defined = project.map { Set($0.services.map(\.name)) }
            var doomed = containers
            if let defined, !options.removeOrphans {
                let orphans = containers.filter { !$0.isOneOff && !defined.contains($0.service ?? "") }
                if !orphans.isEmpty {
                    progress(.warning("orphan containers found for project '\(projectName)' (\(orphans.map(\.name).joined(separator: ", "))); remove them with --remove-orphans"))
                    doomed.removeAll { c in orphans.contains(c) }
                }
            }
            // Order: dependents before their dependencies; services unknown to the file first.
            let services = Array(Set(doomed.map { $0.service ?? "" })).sorted()
            var edges: [String: [DependencyGraph.Edge]] = [:]
            for s in services {
                if let deps = project?.service(s)?.dependencies {
                    edges[s] = deps.map { DependencyGraph.Edge(to: $0.service) }
                } else if let any = doomed.first(where: { $0.service == s }), let raw = any.labels[Labels.dependsOn] {
                    edges[s] = raw.split(separator: ",").compactMap { $0.split(separator: ":").first.map { DependencyGraph.Edge(to: String($0)) } }
                }
            }
            let graph = DependencyGraph(nodes: services, edges: edges).reversed
            let errors = Locked<[OrchestrationError]>([])
            let byService = Dictionary(grouping: doomed) { $0.service ?? "" }
            let timeout = options.timeout
            // Stop dependents before their dependencies. Removal needs no order: each container is
            // removed as soon as it has stopped, while its dependencies are still being stopped.
            let (stopped, stoppedSink) = AsyncStream.makeStream(of: ObservedContainer.self)
            let all = doomed
            await withTaskGroup(of: Void.self) { phases in
                phases.addTask {
                    _ = try? await graph.run { service in
                        await withTaskGroup(of: Void.self) { group in
                            for c in byService[service] ?? [] {
                                guard c.state == .running || c.state == .restarting || c.state == .paused else {
                                    stoppedSink.yield(c)
                                    continue
                                }
                                group.addTask {
                                    let stopTimeout = timeout ?? project?.service(service)?.stopTimeout
                                    progress(.container(name: c.name, verb: "stop", .started))
                                    do {
                                        try await engine.stopContainer(id: c.id, timeout: stopTimeout)
                                        progress(.container(name: c.name, verb: "stop", .done))
                                    } catch {
                                        // Removal below forces it; say so but go on.
                                        progress(.container(name: c.name, verb: "stop", .failed(Self.message(of: error))))
                                    }
                                    stoppedSink.yield(c)
                                }
                            }
                        }
                    }
                    // Whatever the graph did not reach (a cancelled run) is still removed, as before.
                    for c in all { stoppedSink.yield(c) }
                    stoppedSink.finish()
                }
                phases.addTask {
                    await withTaskGroup(of: Void.self) { group in
                        var removed = Set<String>()
                        for await c in stopped where removed.insert(c.id).inserted {
                            group.addTask {
                                progress(.container(name: c.name, verb: "remove", .started))
                                do {
                                    try await engine.removeContainer(id: c.id, force: true, volumes: false)
                                    progress(.container(name: c.name, verb: "remove", .done))
                                } catch {
                                    let e = Self.wrap(error, operation: "remove container", target: c.name)
                                    progress(.container(name: c.name, verb: "remove", .failed(e.description)))
                                    errors.withLock { $0.append(e) }
                                }
                            }
                        }
                    }
                }
            }
            // Networks, then volumes.
            do {
                let networks = try await listedNetworks.get().filter { n in
                    // A network another project created (a shared one) is that project's to remove.
                    n.labels[Labels.project] == projectName || (n.labels[Labels.project] == nil && networkNames.contains(n.name))
                }
                await withTaskGroup(of: Void.self) { group in
                    for n in networks {
                        group.addTask {
                            progress(.resource(kind: "network", name: n.name, verb: "remove", .started))
                            do {
                                try await engine.removeNetwork(name: n.name)
                                progress(.resource(kind: "network", name: n.name, verb: "remove", .done))
                            } catch {
                                let e = Self.wrap(error, operation: "remove network", target: n.name)
                                progress(.resource(kind: "network", name: n.name, verb: "remove", .failed(e.description)))
                                errors.withLock { $0.append(e) }
                            }
                        }
                    }
                }
                if options.removeVolumes {
                    let volumeNames = project?.volumes.filter { !$0.external }.map(\.name) ?? []
                    let volumes = try await engine.listVolumes(project: projectName, names: volumeNames).filter { v in
                        v.labels[Labels.project] == projectName || (v.labels[Labels.project] == nil && volumeNames.contains(v.name))
                    }
                    for v in volumes {
                        progress(.resource(kind: "volume", name: v.name, verb: "remove", .started))
                        do {
                            try await engine.removeVolume(name: v.name)
                            progress(.resource(kind: "volume", name: v.name, verb: "remove", .done))
                        } catch {
                            let e = Self.wrap(error, operation: "remove volume", target: v.name)
                            progress(.resource(kind: "volume", name: v.name, verb: "remove", .failed(e.description)))
                            errors.withLock { $0.append(e) }
                        }
                    }
                }
            } catch {
                errors.withLock { $0.append(Self.wrap(error, operation: "list networks/volumes of", target: "project \(projectName)")) }
            }
            let failures = errors.withLock { $0 }
            if failures.count == 1 { throw failures[0] }
            if !failures.isEmpty { throw .multiple(failures) }
        }

        /// Restarts the containers of `services` (all when empty), dependencies first.
        public func restart(projectName: String, project: DesiredProject?, services: [String], timeout: Int?) async throws(OrchestrationError) {
            let engine = self.engine
            let progress = self.progress
            let containers: [ObservedContainer]
            do {
                containers = try await engine.listContainers(project: projectName).filter { !$0.isOneOff }
            } catch {
                throw Self.wrap(error, operation: "list containers of", target: "project \(projectName)")
            }
            let known = Set(containers.compactMap(\.service))
            for s in services where !known.contains(s) && project?.service(s) == nil {
                throw .unknownService(s, project: projectName)
            }
            let chosen = services.isEmpty ? known : Set(services)
            let nodes = (project?.services.map(\.name) ?? known.sorted()).filter { chosen.contains($0) }
            var edges: [String: [DependencyGraph.Edge]] = [:]
            for n in nodes { edges[n] = project?.service(n)?.dependencies.map { DependencyGraph.Edge(to: $0.service) } ?? [] }
            let errors = Locked<[OrchestrationError]>([])
            _ = try await DependencyGraph(nodes: nodes, edges: edges).run { service in
                for c in containers where c.service == service {
                    progress(.container(name: c.name, verb: "restart", .started))
                    do {
                        try await engine.restartContainer(id: c.id, timeout: timeout)
                        progress(.container(name: c.name, verb: "restart", .done))
                    } catch {
                        let e = Self.wrap(error, operation: "restart container", target: c.name)
                        progress(.container(name: c.name, verb: "restart", .failed(e.description)))
                        errors.withLock { $0.append(e) }
                    }
                }
            }
            let all = errors.withLock { $0 }
            if all.count == 1 { throw all[0] }
            if !all.isEmpty { throw .multiple(all) }
        }

        /// The project's containers with their inspect details, ordered by service and number.
        /// With `projectName` nil: every compose-labelled container.
        public func status(projectName: String?, includeStopped: Bool = true) async throws(OrchestrationError) -> [ServiceContainer] {
            let engine = self.engine
            do {
                let containers = try await engine.listContainers(project: projectName).filter { !$0.isOneOff && (includeStopped || $0.state == .running) }
                let rows = try await withThrowingTaskGroup(of: ServiceContainer.self) { group in
                    for c in containers {
                        group.addTask {
                            ServiceContainer(project: c.project ?? "", service: c.service ?? "", number: c.number, details: try await engine.inspectContainer(id: c.id))
                        }
                    }
                    var out: [ServiceContainer] = []
                    for try await r in group { out.append(r) }
                    return out
                }
                return rows.sorted { ($0.project, $0.service, $0.number) < ($1.project, $1.service, $1.number) }
            } catch {
                throw Self.wrap(error, operation: "list containers of", target: projectName.map { "project \($0)" } ?? "compose projects")
            }
        }

        // MARK: helpers

        /// The outcome of `body` as a value, so a concurrent read can be awaited later without throwing early.
        static func capture<T: Sendable>(_ body: @Sendable () async throws -> T) async -> Result<T, any Error> {
            do { return .success(try await body()) } catch { return .failure(error) }
        }

        /// Runs an undo step to the end even when the calling task is cancelled (an interrupted
        /// recreate must still put things back).
        static func evenIfCancelled<T: Sendable>(_ body: @escaping @Sendable () async -> T) async -> T {
            await Task.detached { await body() }.value
        }

        static func checkCancelled() throws(OrchestrationError) {
            if Task.isCancelled { throw .cancelled }
        }

        static func message(of error: any Error) -> String {
            if let e = error as? LocalizedError, let d = e.errorDescription { return d }
            return String(describing: error)
        }

        static func wrap(_ error: any Error, operation: String, target: String) -> OrchestrationError {
            if let e = error as? OrchestrationError { return e }
            if error is CancellationError { return .cancelled }
            return .engine(operation: operation, target: target, message: EngineErrorExplanation.annotate(message(of: error)))
        }
    }

    /// Shares one wait per (dependency, condition) between all the services that wait on it.
    actor ConditionGate {
        private var tasks: [String: Task<Void, any Error>] = [:]

        func wait(key: String, _ body: @escaping @Sendable () async throws -> Void) async throws {
            let task: Task<Void, any Error>
            if let existing = tasks[key] {
                task = existing
            } else {
                task = Task { try await body() }
                tasks[key] = task
            }
            try await withTaskCancellationHandler {
                try await task.value
            } onCancel: {
                task.cancel()
            }
        }
    }

    /// A value behind a mutex, shareable between tasks (a class so closures can capture it).
    final class Locked<Value: Sendable>: Sendable {
        private let mutex: Mutex<Value>
        init(_ value: Value) { mutex = Mutex(value) }
        func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
    }
}
