import Compose
import DockerEngine
import Foundation
import Logging

extension Orchestration {
    /// The I/O of a swarm deploy around `SwarmPlanner`: observe the stack's objects, push images,
    /// execute a plan along depends_on, wait for convergence, remove a stack. Talks to a manager.
    public struct SwarmDeployer: Sendable {
        /// A manager of the swarm.
        public let client: DockerEngine.Client
        /// The engine that holds the local images to push (the manager unless said otherwise).
        public let imageClient: DockerEngine.Client
        public var logger: Logger

        public init(client: DockerEngine.Client, imageClient: DockerEngine.Client? = nil, logger: Logger = Logger(label: "stackpilot.swarm")) {
            self.client = client
            self.imageClient = imageClient ?? client
            self.logger = logger
        }

        func engine<T>(_ operation: String, _ target: String, _ body: () async throws(DockerEngine.Error) -> T) async throws(OrchestrationError) -> T {
            do { return try await body() } catch { throw .engine(operation: operation, target: target, message: error.description) }
        }

        /// As `engine`, with the error as a value, for reads that run side by side (`async let`).
        func attempt<T: Sendable>(
            _ operation: String, _ target: String, _ body: () async throws(DockerEngine.Error) -> T
        ) async -> Result<T, OrchestrationError> {
            do { return .success(try await engine(operation, target, body)) } catch { return .failure(error) }
        }

        /// The stack's services, configs and secrets (by its namespace label) and the networks it names.
        /// The four reads go out at once (they share the client's one version ping): a no-op deploy
        /// costs one round trip, not four.
        public func observe(namespace: String) async throws(OrchestrationError) -> SwarmObserved {
            let filter = DockerEngine.Filters().label("\(SwarmLabels.namespace)=\(namespace)")
            let client = client
            async let services = attempt("list services of", namespace) { () async throws(DockerEngine.Error) in
                try await client.listServices(filters: filter)
            }
            async let networks = attempt("list networks for", namespace) { () async throws(DockerEngine.Error) in try await client.listNetworks() }
            async let configs = attempt("list configs of", namespace) { () async throws(DockerEngine.Error) in try await client.listConfigs(filters: filter) }
            async let secrets = attempt("list secrets of", namespace) { () async throws(DockerEngine.Error) in try await client.listSecrets(filters: filter) }
            return SwarmObserved(
                services: try await services.get(), networks: try await networks.get(), configs: try await configs.get(),
                secrets: try await secrets.get())
        }

        /// Runs a plan: networks, configs and secrets, pushes, then services in dependency order,
        /// each waiting until its dependencies' tasks run (and are healthy where they have a
        /// healthcheck), then removals of what is no longer used. A plan of only `upToDate` writes nothing.
        /// `pushes`: the local image of each registry reference a `pushImage` action names.
        public func execute(
            _ plan: Plan, desired: SwarmProject, observed: SwarmObserved, pushes: [String: String] = [:],
            timeout: Duration = .seconds(120), progress: @escaping @Sendable (ProgressEvent) -> Void
        ) async throws(OrchestrationError) {
            guard plan.problems.isEmpty else { throw .preflight(plan.problems) }
            guard !plan.isUpToDate else { return }
            var configIDs = Dictionary(observed.configs.compactMap { c in c.spec.map { ($0.name, c.id) } }, uniquingKeysWith: { a, _ in a })
            var secretIDs = Dictionary(observed.secrets.compactMap { s in s.spec.map { ($0.name, s.id) } }, uniquingKeysWith: { a, _ in a })
            for action in plan.actions {
                switch action.kind {
                case .createNetwork:
                    guard let n = desired.networks.first(where: { $0.name == action.target }) else { continue }
                    try await step(action, progress) { () async throws(OrchestrationError) in
                        _ = try await engine("create network", n.name) { () async throws(DockerEngine.Error) in try await client.createNetwork(n.request) }
                    }
                case .createConfig:
                    guard let c = desired.configs.first(where: { $0.name == action.target }) else { continue }
                    try await step(action, progress) { () async throws(OrchestrationError) in
                        let spec = DockerEngine.ConfigSpec(name: c.name, labels: c.labels, data: c.data)
                        configIDs[c.name] = try await engine("create config", c.name) { () async throws(DockerEngine.Error) in
                            try await client.createConfig(spec)
                        }.id
                    }
                case .createSecret:
                    guard let s = desired.secrets.first(where: { $0.name == action.target }) else { continue }
                    try await step(action, progress) { () async throws(OrchestrationError) in
                        let spec = DockerEngine.SecretSpec(name: s.name, labels: s.labels, data: s.data)
                        secretIDs[s.name] = try await engine("create secret", s.name) { () async throws(DockerEngine.Error) in
                            try await client.createSecret(spec)
                        }.id
                    }
                case .pushImage:
                    try await step(action, progress) { () async throws(OrchestrationError) in
                        if let local = pushes[action.target] {
                            try await engine("tag image", local) { () async throws(DockerEngine.Error) in
                                try await imageClient.tagImage(local, as: action.target)
                            }
                        }
                        _ = try await engine("push image", action.target) { () async throws(DockerEngine.Error) in try await imageClient.push(action.target) }
                    }
                default:
                    continue
                }
            }
            try await runServices(plan, desired: desired, observed: observed, configIDs: configIDs, secretIDs: secretIDs, timeout: timeout, progress: progress)
            for action in plan.actions {
                switch action.kind {
                case .removeService:
                    try await step(action, progress) { () async throws(OrchestrationError) in
                        try await engine("remove service", action.target) { () async throws(DockerEngine.Error) in
                            try await client.removeService(action.containerID ?? action.target)
                        }
                    }
                case .removeConfig:
                    // An old config still held by a task that is shutting down is left for the next deploy.
                    do { try await client.removeConfig(action.containerID ?? action.target); progress(.action(action, .done)) } catch {
                        progress(.warning("config \(action.target) is still in use; the next deploy removes it"))
                    }
                case .removeSecret:
                    do { try await client.removeSecret(action.containerID ?? action.target); progress(.action(action, .done)) } catch {
                        progress(.warning("secret \(action.target) is still in use; the next deploy removes it"))
                    }
                default:
                    continue
                }
            }
        }

        func step(
            _ action: PlannedAction, _ progress: @Sendable (ProgressEvent) -> Void,
            _ body: () async throws(OrchestrationError) -> Void
        ) async throws(OrchestrationError) {
            progress(.action(action, .started))
            do {
                try await body()
                progress(.action(action, .done))
            } catch {
                progress(.action(action, .failed(error.description)))
                throw error
            }
        }

        /// The spec with the IDs of the configs and secrets it names.
        static func resolved(_ spec: DockerEngine.ServiceSpec, configIDs: [String: String], secretIDs: [String: String]) -> DockerEngine.ServiceSpec {
            var spec = spec
            var container = spec.taskTemplate?.containerSpec
            let configs = container?.configs?.map { ref in
                var r = ref
                r.configID = configIDs[ref.configName] ?? ref.configName
                return r
            }
            let secrets = container?.secrets?.map { ref in
                var r = ref
                r.secretID = secretIDs[ref.secretName] ?? ref.secretName
                return r
            }
            container?.configs = configs
            container?.secrets = secrets
            spec.taskTemplate?.containerSpec = container
            return spec
        }

        func runServices(
            _ plan: Plan, desired: SwarmProject, observed: SwarmObserved, configIDs: [String: String], secretIDs: [String: String],
            timeout: Duration, progress: @escaping @Sendable (ProgressEvent) -> Void
        ) async throws(OrchestrationError) {
            // In dependency order, one level at a time: a service starts after its dependencies' tasks run.
            var done = Set<String>()
            var remaining = desired.services
            while !remaining.isEmpty {
                let ready = remaining.filter { s in s.dependencies.allSatisfy { done.contains($0.service) || desired.service($0.service) == nil } }
                guard !ready.isEmpty else { throw .dependencyCycle(remaining.map(\.service)) }
                for s in ready {
                    for dependency in s.dependencies {
                        guard let d = desired.service(dependency.service) else { continue }
                        let healthy = dependency.condition == .serviceHealthy && d.hasHealthcheck
                        progress(.waiting(service: s.service, dependency: d.service, condition: dependency.condition))
                        try await waitRunning(d, healthy: healthy, timeout: timeout)
                    }
                    let spec = Self.resolved(s.spec, configIDs: configIDs, secretIDs: secretIDs)
                    for action in plan.actions(for: s.service) {
                        switch action.kind {
                        case .createService:
                            try await step(action, progress) { () async throws(OrchestrationError) in
                                _ = try await engine("create service", s.name) { () async throws(DockerEngine.Error) in try await client.createService(spec) }
                            }
                        case .updateService:
                            try await step(action, progress) { () async throws(OrchestrationError) in
                                // The version index read just now: the engine refuses an update based on an older one.
                                let current = try await engine("inspect service", s.name) { () async throws(DockerEngine.Error) in
                                    try await client.inspectService(action.containerID ?? s.name)
                                }
                                _ = try await engine("update service", s.name) { () async throws(DockerEngine.Error) in
                                    try await client.updateService(current.id, version: current.version?.index ?? 0, spec: spec)
                                }
                            }
                        default:
                            continue
                        }
                    }
                    done.insert(s.service)
                }
                remaining.removeAll { done.contains($0.service) }
            }
        }

        /// Waits until every desired task of the service runs (and is healthy when asked); fails with
        /// each failing task's error and node (`no suitable node`, `No such image`, exit codes).
        public func waitRunning(_ s: SwarmService, healthy: Bool, timeout: Duration) async throws(OrchestrationError) {
            let deadline = ContinuousClock.now + timeout
            var last: SwarmConvergence.Status = .converging([])
            while ContinuousClock.now < deadline {
                let service = try await engine("inspect service", s.name) { () async throws(DockerEngine.Error) in try await client.inspectService(s.name) }
                let tasks = try await engine("list tasks of", s.name) { () async throws(DockerEngine.Error) in
                    try await client.listTasks(filters: DockerEngine.Filters().adding("service", service.id))
                }
                let nodes = (try? await client.listNodes()) ?? []
                let health: [String: String] = healthy ? await containerHealth(tasks) : [:]
                last = SwarmConvergence.status(service: service, tasks: tasks, nodes: nodes, health: healthy ? health : nil)
                switch last {
                case .converged: return
                case .failed(let problems): throw .engine(operation: "deploy service", target: s.name, message: problems.joined(separator: "; "))
                case .converging: break
                }
                do { try await Task.sleep(for: .milliseconds(500)) } catch { throw .cancelled }
            }
            if case .converging(let why) = last {
                throw .waitTimeout(seconds: Double(timeout.components.seconds), notReady: ["\(s.name): " + why.joined(separator: "; ")])
            }
        }

        /// Health of the tasks' containers that this engine can see (the manager's own tasks); a task
        /// on another node counts as healthy once it runs (its healthcheck gates `running` there).
        func containerHealth(_ tasks: [DockerEngine.SwarmTask]) async -> [String: String] {
            var out: [String: String] = [:]
            for t in tasks {
                guard let id = t.status?.containerStatus?.containerID, let inspect = try? await client.inspectContainer(id) else { continue }
                out[t.id] = inspect.state?.health?.status.map(\.rawValue)
            }
            return out
        }

        /// Waits until every service of the stack converged (`--wait`).
        public func waitAll(_ desired: SwarmProject, timeout: Duration, progress: @escaping @Sendable (ProgressEvent) -> Void) async throws(OrchestrationError)
        {
            var errors: [OrchestrationError] = []
            for s in desired.services {
                do {
                    try await waitRunning(s, healthy: s.hasHealthcheck, timeout: timeout)
                    progress(.ready(service: s.service, detail: s.global ? "running on every node" : "\(s.replicas)/\(s.replicas) running"))
                } catch { errors.append(error) }
            }
            if errors.count == 1 { throw errors[0] }
            if !errors.isEmpty { throw .multiple(errors) }
        }

        /// `down`: the stack's services, then its networks, configs and secrets; named volumes only
        /// with `volumes` (each node holds its own copy: removed on this engine's node).
        public func remove(namespace: String, volumes: Bool, progress: @escaping @Sendable (ProgressEvent) -> Void) async throws(OrchestrationError) {
            let filter = DockerEngine.Filters().label("\(SwarmLabels.namespace)=\(namespace)")
            let observed = try await observe(namespace: namespace)
            for s in observed.services {
                let name = s.spec?.name ?? s.id
                progress(.resource(kind: "service", name: name, verb: "remove", .started))
                try await engine("remove service", name) { () async throws(DockerEngine.Error) in try await client.removeService(s.id) }
                progress(.resource(kind: "service", name: name, verb: "remove", .done))
            }
            // Tasks take a moment to stop; networks, configs and secrets in use cannot go before.
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline, !observed.services.isEmpty {
                let tasks = (try? await client.listTasks(filters: filter)) ?? []
                let serviceIDs = Set(observed.services.map(\.id))
                if !tasks.contains(where: { serviceIDs.contains($0.serviceID ?? "") && $0.status?.state?.isTerminal == false }) { break }
                try? await Task.sleep(for: .milliseconds(300))
            }
            let networks = try await engine("list networks of", namespace) { () async throws(DockerEngine.Error) in
                try await client.listNetworks(filters: filter)
            }
            for n in networks {
                progress(.resource(kind: "network", name: n.name, verb: "remove", .started))
                try await retrying("remove network", n.name) { () async throws(DockerEngine.Error) in try await client.removeNetwork(n.id) }
                progress(.resource(kind: "network", name: n.name, verb: "remove", .done))
            }
            for c in observed.configs {
                let name = c.spec?.name ?? c.id
                try await retrying("remove config", name) { () async throws(DockerEngine.Error) in try await client.removeConfig(c.id) }
                progress(.resource(kind: "config", name: name, verb: "remove", .done))
            }
            for s in observed.secrets {
                let name = s.spec?.name ?? s.id
                try await retrying("remove secret", name) { () async throws(DockerEngine.Error) in try await client.removeSecret(s.id) }
                progress(.resource(kind: "secret", name: name, verb: "remove", .done))
            }
            guard volumes else { return }
            let list = try await engine("list volumes of", namespace) { () async throws(DockerEngine.Error) in
                try await client.listVolumes(filters: filter)
            }
            for v in list {
                progress(.resource(kind: "volume", name: v.name, verb: "remove", .started))
                // The task containers that held it go a moment after their tasks stop.
                try await retrying("remove volume", v.name) { () async throws(DockerEngine.Error) in try await client.removeVolume(v.name) }
                progress(.resource(kind: "volume", name: v.name, verb: "remove", .done))
            }
        }

        /// An object still held by a task that is stopping: retried for a few seconds; gone already is fine.
        func retrying(_ operation: String, _ target: String, _ body: () async throws(DockerEngine.Error) -> Void) async throws(OrchestrationError) {
            var lastError: DockerEngine.Error?
            for attempt in 0..<20 {
                do {
                    try await body()
                    return
                } catch {
                    if case .http(let status, _) = error, status == 404 { return }
                    lastError = error
                }
                if attempt < 19 { try? await Task.sleep(for: .milliseconds(500)) }
            }
            if let lastError { throw .engine(operation: operation, target: target, message: lastError.description) }
        }
    }
}
