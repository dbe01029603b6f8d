import DockerEngine
import Foundation
import Orchestration
import Synchronization

/// An in-memory `OrchestrationEngine`: containers, networks, volumes and images as values, an
/// events stream, and per-service scripts of state changes that run when a container starts (a
/// healthcheck that passes after a while, an exit, a crash loop). It records every call, so a test
/// can assert what was written, in what order, and how many reads it took.
public final class FakeEngine: OrchestrationEngine {
    /// One scripted change to a started container.
    public enum Step: Sendable, Hashable {
        /// Let this much time pass.
        case wait(Duration)
        /// Its healthcheck reports `status` (event `health_status: <status>`).
        case health(DockerEngine.HealthStatus)
        /// It prints a line.
        case log(String)
        /// It exits with `code` (event `die`).
        case exit(code: Int, oomKilled: Bool = false)
        /// It exits with `code` and its restart policy restarts it (events `die`, then `start`):
        /// `restarting` in between, restart count one higher after.
        case crash(code: Int)
    }

    public struct Container: Sendable {
        public var id: String
        public var name: String
        public var spec: DockerEngine.ContainerConfig
        public var state: DockerEngine.ContainerState = .created
        public var health: DockerEngine.HealthStatus = .none
        public var exitCode = 0
        public var oomKilled = false
        public var restartCount = 0
        public var created: Int64
        public var log: [String] = []
        public var networks: [String] = []
        public var healthLog: [String] = []
        var labels: [String: String] { spec.labels ?? [:] }
        var hasHealthcheck: Bool { spec.healthcheck?.test.map { !$0.isEmpty && $0 != ["NONE"] } ?? false }
    }

    private struct State {
        var containers: [String: Container] = [:]
        var networks: [String: DockerEngine.Network] = [:]
        var volumes: [String: DockerEngine.Volume] = [:]
        var images: [String: String] = [:]
        var scripts: [String: [Step]] = [:]
        var running: [String: Task<Void, Never>] = [:]
        var subscribers: [Int: (project: String, continuation: AsyncThrowingStream<DockerEngine.Event, any Error>.Continuation)] = [:]
        var nextID = 1
        var calls: [String] = []
    }

    private let state = Mutex(State())

    /// `images`: references present locally, by reference (their IDs are made up).
    public init(images: [String] = []) {
        state.withLock { s in for ref in images { s.images[ref] = "sha256:local-\(ref)" } }
    }

    /// What every container of `service` does once started (again on every start or restart).
    public func script(_ service: String, _ steps: [Step]) { state.withLock { $0.scripts[service] = steps } }

    /// Every call, in order: `list containers`, `inspect <name>`, `create <name>`, `start <name>`...
    public var calls: [String] { state.withLock { $0.calls } }
    /// The calls that change something (everything but list, inspect, image lookups and log reads).
    public var writes: [String] {
        calls.filter { c in !["list", "inspect", "image", "logs", "events"].contains(where: { c.hasPrefix($0) }) }
    }
    public func resetCalls() { state.withLock { $0.calls.removeAll() } }

    /// The container named `name`, as the fake holds it.
    public func container(named name: String) -> Container? { state.withLock { s in s.containers.values.first { $0.name == name } } }

    deinit {
        state.withLock { s in
            for t in s.running.values { t.cancel() }
            for sub in s.subscribers.values { sub.continuation.finish() }
        }
    }

    // MARK: scripted changes

    private func run(_ id: String) {
        state.withLock { s in
            s.running[id]?.cancel()
            guard let c = s.containers[id], let steps = s.scripts[c.labels[DockerEngine.ComposeLabels.service] ?? ""] else { return }
            s.running[id] = Task { [weak self] in
                for step in steps {
                    if Task.isCancelled { return }
                    if case .wait(let d) = step {
                        try? await Task.sleep(for: d)
                        continue
                    }
                    self?.apply(step, to: id)
                }
            }
        }
    }

    private func apply(_ step: Step, to id: String) {
        switch step {
        case .wait: return
        case .log(let line): update(id) { $0.log.append(line) }
        case .health(let status):
            update(id, event: "health_status: \(status.rawValue)") { c in
                c.health = status
                c.healthLog.append(status == .healthy ? "ok" : "probe says \(status.rawValue)")
            }
        case .exit(let code, let oom):
            update(id, event: "die") { c in
                c.state = .exited
                c.exitCode = code
                c.oomKilled = oom
            }
        case .crash(let code):
            update(id, event: "die") { c in
                c.state = .restarting
                c.exitCode = code
            }
            update(id, event: "start") { c in
                c.state = .running
                c.restartCount += 1
                c.health = c.hasHealthcheck ? .starting : .none
            }
        }
    }

    private func update(_ id: String, event action: String? = nil, _ change: (inout Container) -> Void) {
        state.withLock { s in
            guard var c = s.containers[id] else { return }
            change(&c)
            s.containers[id] = c
            if let action { Self.emit(&s, action, c) }
        }
    }

    private static func emit(_ s: inout State, _ action: String, _ c: Container) {
        let project = c.labels[DockerEngine.ComposeLabels.project] ?? ""
        var attributes = c.labels
        attributes["name"] = c.name
        let event = DockerEngine.Event(type: "container", action: action, actor: .init(id: c.id, attributes: attributes))
        for sub in s.subscribers.values where sub.project == project { sub.continuation.yield(event) }
    }

    private func record(_ call: String) { state.withLock { $0.calls.append(call) } }

    private func change(_ call: String, _ id: String, event: String?, _ body: (inout Container) throws -> Void) throws {
        try state.withLock { s in
            guard var c = s.containers[id] else { throw FakeEngineError.noSuchContainer(id) }
            s.calls.append("\(call) \(c.name)")
            try body(&c)
            s.containers[id] = c
            if let event { Self.emit(&s, event, c) }
        }
    }

    // MARK: OrchestrationEngine

    public func listContainers(project: String?) async throws -> [DockerEngine.ContainerSummary] {
        state.withLock { s in
            s.calls.append("list containers")
            return s.containers.values.filter { c in
                project.map { c.labels[DockerEngine.ComposeLabels.project] == $0 } ?? (c.labels[DockerEngine.ComposeLabels.project] != nil)
            }.sorted { $0.name < $1.name }.map { c in
                let health = c.health == .none ? "" : c.health == .starting ? " (health: starting)" : " (\(c.health.rawValue))"
                return DockerEngine.ContainerSummary(
                    id: c.id, names: ["/" + c.name], image: c.spec.image, imageID: c.spec.image.flatMap { s.images[$0] }, created: c.created, labels: c.labels,
                    state: c.state, status: "\(c.state == .running ? "Up" : c.state.rawValue)\(health)",
                    networkSettings: .init(networks: Dictionary(uniqueKeysWithValues: c.networks.map { ($0, DockerEngine.EndpointSettings()) })))
            }
        }
    }

    public func listNetworks(project: String, names: [String]) async throws -> [DockerEngine.Network] {
        state.withLock { s in
            s.calls.append("list networks")
            return s.networks.values.filter { names.contains($0.name) || $0.labels?[DockerEngine.ComposeLabels.project] == project }.sorted {
                $0.name < $1.name
            }
        }
    }

    public func listVolumes(project: String, names: [String]) async throws -> [DockerEngine.Volume] {
        state.withLock { s in
            s.calls.append("list volumes")
            return s.volumes.values.filter { names.contains($0.name) || $0.labels?[DockerEngine.ComposeLabels.project] == project }.sorted { $0.name < $1.name }
        }
    }

    public func imageID(_ reference: String) async throws -> String? {
        state.withLock { s in
            s.calls.append("image \(reference)")
            return s.images[reference]
        }
    }

    public func pullImage(_ reference: String, progress: @escaping @Sendable (DockerEngine.ProgressMessage) -> Void) async throws {
        record("pull \(reference)")
        progress(DockerEngine.ProgressMessage(status: "Downloaded newer image for \(reference)"))
        state.withLock { $0.images[reference] = "sha256:pulled-\(reference)" }
    }

    public func buildImage(_ reference: String, spec: Orchestration.BuildSpec, output: @escaping @Sendable (String) -> Void) async throws {
        record("build \(reference)")
        state.withLock { $0.images[reference] = "sha256:built-\(reference)" }
    }

    public func createNetwork(_ network: Orchestration.DesiredNetwork, project: String) async throws {
        state.withLock { s in
            s.calls.append("create network \(network.name)")
            var labels = network.labels
            labels[DockerEngine.ComposeLabels.project] = project
            s.networks[network.name] = DockerEngine.Network(id: "net-\(network.name)", name: network.name, driver: network.driver, labels: labels)
        }
    }

    public func createVolume(_ volume: Orchestration.DesiredVolume, project: String) async throws {
        state.withLock { s in
            s.calls.append("create volume \(volume.name)")
            var labels = volume.labels
            labels[DockerEngine.ComposeLabels.project] = project
            s.volumes[volume.name] = DockerEngine.Volume(name: volume.name, driver: volume.driver, labels: labels)
        }
    }

    public func createContainer(name: String, spec: DockerEngine.ContainerConfig) async throws -> String {
        try state.withLock { s in
            s.calls.append("create \(name)")
            if s.containers.values.contains(where: { $0.name == name }) { throw FakeEngineError.conflict(name) }
            let id = String(format: "%064x", s.nextID)
            s.nextID += 1
            let c = Container(
                id: id, name: name, spec: spec, created: Int64(s.nextID), networks: spec.networkingConfig?.endpointsConfig.map { Array($0.keys) } ?? [])
            s.containers[id] = c
            Self.emit(&s, "create", c)
            return id
        }
    }

    public func connectNetwork(_ network: String, container: String, aliases: [String]) async throws {
        try change("connect \(network)", container, event: nil) { $0.networks.append(network) }
    }

    public func copyToContainer(id: String, path: String, archive: Data, copyUIDGID: Bool) async throws {
        try change("copy to \(path)", id, event: nil) { _ in }
    }

    public func renameContainer(id: String, to name: String) async throws {
        try change("rename to \(name)", id, event: "rename") { $0.name = name }
    }

    public func startContainer(id: String) async throws {
        var started = false
        try change("start", id, event: nil) { c in
            guard c.state != .running else { return }
            c.state = .running
            c.health = c.hasHealthcheck ? .starting : .none
            started = true
        }
        guard started else { return }
        update(id, event: "start") { _ in }
        run(id)
    }

    public func stopContainer(id: String, timeout: Int?) async throws {
        state.withLock { $0.running.removeValue(forKey: id)?.cancel() }
        try change("stop", id, event: "die") { c in
            guard c.state == .running || c.state == .restarting || c.state == .paused else { return }
            c.state = .exited
            c.exitCode = 137
        }
    }

    public func restartContainer(id: String, timeout: Int?) async throws {
        try change("restart", id, event: "start") { c in
            c.state = .running
            c.health = c.hasHealthcheck ? .starting : .none
        }
        run(id)
    }

    public func removeContainer(id: String, force: Bool, volumes: Bool) async throws {
        state.withLock { s in
            s.running.removeValue(forKey: id)?.cancel()
            guard let c = s.containers.removeValue(forKey: id) else { return }
            s.calls.append("remove \(c.name)")
            Self.emit(&s, "destroy", c)
        }
    }

    public func removeNetwork(name: String) async throws {
        state.withLock { s in
            s.calls.append("remove network \(name)")
            s.networks.removeValue(forKey: name)
        }
    }

    public func removeVolume(name: String) async throws {
        state.withLock { s in
            s.calls.append("remove volume \(name)")
            s.volumes.removeValue(forKey: name)
        }
    }

    public func inspectContainer(id: String) async throws -> DockerEngine.ContainerInspect {
        try state.withLock { s in
            guard let c = s.containers[id] else { throw FakeEngineError.noSuchContainer(id) }
            s.calls.append("inspect \(c.name)")
            let health =
                c.health == .none
                ? nil
                : DockerEngine.ContainerInspect.State.Health(
                    status: c.health, log: c.healthLog.map { DockerEngine.ContainerInspect.State.Health.Log(output: $0) })
            return DockerEngine.ContainerInspect(
                id: c.id, name: "/" + c.name, state: .init(status: c.state, exitCode: c.exitCode, oomKilled: c.oomKilled, health: health),
                image: c.spec.image.flatMap { s.images[$0] }, restartCount: c.restartCount, config: c.spec)
        }
    }

    public func logTail(id: String, lines: Int) async throws -> [String] {
        state.withLock { s in
            s.calls.append("logs \(s.containers[id]?.name ?? id)")
            return Array((s.containers[id]?.log ?? []).suffix(lines))
        }
    }

    public func containerEvents(project: String) async throws -> AsyncThrowingStream<DockerEngine.Event, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: DockerEngine.Event.self)
        let token = state.withLock { s in
            s.calls.append("events \(project)")
            let token = s.nextID
            s.nextID += 1
            s.subscribers[token] = (project, continuation)
            return token
        }
        continuation.onTermination = { [weak self] _ in _ = self?.state.withLock { $0.subscribers.removeValue(forKey: token) } }
        return stream
    }
}

public enum FakeEngineError: Error, Sendable, Equatable {
    case noSuchContainer(String)
    case conflict(String)
}
