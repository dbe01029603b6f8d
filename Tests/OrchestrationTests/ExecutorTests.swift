import DockerEngine
import Foundation
import Synchronization
import TestSupport
import Testing

@testable import Orchestration

/// The executor's waits and failures against `FakeEngine`: crash loops, health gating, timeouts and
/// the dependents a failed dependency leaves created. (The real engine covers parity and the no-write
/// second `up`, in IntegrationTests.)
@Suite("Orchestration.Executor on a fake engine")
struct ExecutorTests {
    typealias O = Orchestration
    static let image = "stackpilot-test/busybox:1"
    static let healthcheck = DockerEngine.HealthConfig(test: ["CMD", "true"])

    static func service(_ name: String, health: Bool = false, deps: [O.Dependency] = []) -> O.DesiredService {
        var spec = DockerEngine.ContainerConfig()
        if health { spec.healthcheck = healthcheck }
        return O.DesiredService(name: name, image: image, configHash: "hash-\(name)", dependencies: deps, hasHealthcheck: health, container: spec)
    }

    static func project(_ services: [O.DesiredService]) -> O.DesiredProject {
        O.DesiredProject(
            name: "sp", workingDirectory: "/w", configFiles: ["/w/compose.yml"], services: services,
            networks: [O.DesiredNetwork(key: "default", name: "sp_default")])
    }

    /// Progress events, as short lines.
    final class Events: Sendable {
        private let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
        func record(_ e: O.ProgressEvent) {
            switch e {
            case .action(let a, let status): lines.withLock { $0.append("\(a.kind.rawValue) \(a.target) \(status)") }
            case .ready(let service, _): lines.withLock { $0.append("ready \(service)") }
            default: break
            }
        }
    }

    /// Observes, plans and runs `up` for `project` on `engine`.
    static func up(
        _ project: O.DesiredProject, on engine: FakeEngine, _ options: O.UpOptions = .init(checkLocalResources: false),
        events: Events = Events()
    ) async throws(OrchestrationError) {
        var executor = O.Executor(engine: engine) { events.record($0) }
        executor.pollFallback = .milliseconds(50)
        let observed = try await executor.observe(project)
        let plan = try O.Planner.plan(project, observed: observed)
        try await executor.up(project, plan: plan, options: options)
    }

    @Test("a dependency that exits 1 leaves its dependent created, not started, and the error names container, state and log")
    func dependencyFails() async throws {
        let engine = FakeEngine(images: [Self.image])
        engine.script("migrate", [.log("migration-failed-marker"), .wait(.milliseconds(20)), .exit(code: 1)])
        let project = Self.project([
            Self.service("migrate"),
            Self.service("app", deps: [.init(service: "migrate", condition: .serviceCompletedSuccessfully)]),
        ])
        let error = await #expect(throws: OrchestrationError.self) { try await Self.up(project, on: engine) }
        guard case .dependencyFailed(let service, let container, let state, let reason, let tail, let dependents)? = error else {
            Issue.record("expected dependencyFailed, got \(String(describing: error))")
            return
        }
        #expect(service == "migrate")
        #expect(container == "sp-migrate-1")
        #expect(state == "exited (1)")
        #expect(reason == "it exited with code 1")
        #expect(tail == ["migration-failed-marker"])
        #expect(dependents == ["sp-app-1"])
        #expect(engine.container(named: "sp-app-1")?.state == .created)
        #expect(!engine.writes.contains("start sp-app-1"))
    }

    @Test("a service_healthy dependency gates its dependent: started only after the health_status event")
    func healthGatedStart() async throws {
        let engine = FakeEngine(images: [Self.image])
        engine.script("db", [.wait(.milliseconds(100)), .health(.healthy)])
        let project = Self.project([
            Self.service("db", health: true),
            Self.service("api", deps: [.init(service: "db", condition: .serviceHealthy)]),
            Self.service("web", deps: [.init(service: "api")]),
        ])
        let events = Events()
        var options = O.UpOptions(checkLocalResources: false)
        options.wait = true
        try await Self.up(project, on: engine, options, events: events)
        let writes = engine.writes
        let order = ["create network sp_default", "start sp-db-1", "start sp-api-1", "start sp-web-1"].map { w in writes.firstIndex(of: w) }
        #expect(order.allSatisfy { $0 != nil }, "\(writes)")
        #expect(order.compactMap { $0 } == order.compactMap { $0 }.sorted(), "\(writes)")
        // api's start waited for db's health: db was inspected healthy before api started.
        let lines = events.all
        let dbReady = try #require(lines.firstIndex(of: "ready db"))
        let apiStart = try #require(lines.firstIndex(of: "start sp-api-1 started"))
        #expect(dbReady < apiStart, "\(lines)")
        for name in ["sp-db-1", "sp-api-1", "sp-web-1"] { #expect(engine.container(named: name)?.state == .running) }
        #expect(engine.container(named: "sp-db-1")?.health == .healthy)
    }

    @Test("service_started dependencies this run started gate their dependents without listing containers again")
    func conditionsUseKnownContainers() async throws {
        let engine = FakeEngine(images: [Self.image])
        let project = Self.project([
            Self.service("a"), Self.service("b", deps: [.init(service: "a")]), Self.service("c", deps: [.init(service: "b")]),
        ])
        try await Self.up(project, on: engine)
        // One list, by observe; the conditions inspect the containers the run itself started.
        #expect(engine.calls.filter { $0 == "list containers" }.count == 1, "\(engine.calls)")
        #expect(engine.calls.filter { $0.hasPrefix("inspect") } == ["inspect sp-a-1", "inspect sp-b-1"])
        // An existing, running dependency (no start in this run) still gates without a list.
        try await engine.stopContainer(id: try #require(engine.container(named: "sp-c-1")).id, timeout: 0)
        engine.resetCalls()
        try await Self.up(project, on: engine)
        #expect(engine.writes == ["start sp-c-1"])
        #expect(engine.calls.filter { $0 == "list containers" }.count == 1, "\(engine.calls)")
        #expect(engine.container(named: "sp-c-1")?.state == .running)
    }

    @Test("up --wait gives up after its timeout and names the service that is not ready and why")
    func waitTimeout() async throws {
        let engine = FakeEngine(images: [Self.image])
        let project = Self.project([Self.service("quick"), Self.service("slow", health: true)])
        let error = await #expect(throws: OrchestrationError.self) {
            try await Self.up(project, on: engine, .init(wait: true, waitTimeout: .milliseconds(300), checkLocalResources: false))
        }
        guard case .waitTimeout(let seconds, let notReady)? = error else {
            Issue.record("expected waitTimeout, got \(String(describing: error))")
            return
        }
        #expect(seconds == 0.3)
        #expect(notReady == ["service 'slow' (container sp-slow-1): running (starting), health still starting"])
        #expect(error?.isBadInput == false)
    }

    @Test("a service_healthy dependency that crash-loops under a restart policy fails the up (it would never turn unhealthy), naming the restarts")
    func crashLoopingDependency() async throws {
        let engine = FakeEngine(images: [Self.image])
        let crash: [FakeEngine.Step] = [.log("crash-loop-marker"), .wait(.milliseconds(20)), .crash(code: 3)]
        engine.script("model", Array(repeating: crash, count: 20).flatMap { $0 })
        let project = Self.project([
            Self.service("model", health: true),
            Self.service("api", deps: [.init(service: "model", condition: .serviceHealthy)]),
        ])
        // No --wait-timeout: the crash loop alone must end the wait.
        let error = await #expect(throws: OrchestrationError.self) { try await Self.up(project, on: engine) }
        guard case .dependencyFailed(let service, _, _, let reason, let tail, let dependents)? = error else {
            Issue.record("expected dependencyFailed, got \(String(describing: error))")
            return
        }
        #expect(service == "model")
        #expect(reason.hasPrefix("it keeps restarting (restarted "), "\(reason)")
        #expect(reason.hasSuffix("times while waiting, last exit code 3)"), "\(reason)")
        #expect(tail.contains("crash-loop-marker"))
        #expect(dependents == ["sp-api-1"])
        #expect(engine.container(named: "sp-api-1")?.state == .created)
    }

    @Test("--wait-timeout also bounds the wait for a service_healthy dependency")
    func dependencyWaitTimeout() async throws {
        let engine = FakeEngine(images: [Self.image])
        let project = Self.project([
            Self.service("slow", health: true),
            Self.service("api", deps: [.init(service: "slow", condition: .serviceHealthy)]),
        ])
        let error = await #expect(throws: OrchestrationError.self) {
            try await Self.up(project, on: engine, .init(wait: true, waitTimeout: .milliseconds(300), checkLocalResources: false))
        }
        guard case .dependencyFailed(let service, _, _, let reason, _, let dependents)? = error else {
            Issue.record("expected dependencyFailed, got \(String(describing: error))")
            return
        }
        #expect(service == "slow")
        #expect(reason == "it did not become healthy within the --wait-timeout of 0.3 seconds")
        #expect(dependents == ["sp-api-1"])
        #expect(engine.container(named: "sp-api-1")?.state == .created)
    }

    @Test("a dependency that turns unhealthy fails the up with its last health probe in the log tail")
    func unhealthyDependency() async throws {
        let engine = FakeEngine(images: [Self.image])
        engine.script("db", [.wait(.milliseconds(20)), .health(.unhealthy)])
        let project = Self.project([
            Self.service("db", health: true),
            Self.service("api", deps: [.init(service: "db", condition: .serviceHealthy)]),
        ])
        let error = await #expect(throws: OrchestrationError.self) { try await Self.up(project, on: engine) }
        guard case .dependencyFailed(_, _, let state, let reason, let tail, _)? = error else {
            Issue.record("expected dependencyFailed, got \(String(describing: error))")
            return
        }
        #expect(state == "running (unhealthy)")
        #expect(reason == "its healthcheck reports unhealthy")
        #expect(tail.last == "(last health probe) probe says unhealthy")
    }

    @Test("down stops dependents before their dependencies and removes every container and the network")
    func down() async throws {
        let engine = FakeEngine(images: [Self.image])
        let project = Self.project([Self.service("db"), Self.service("api", deps: [.init(service: "db")])])
        try await Self.up(project, on: engine)
        engine.resetCalls()
        try await O.Executor(engine: engine).down(projectName: "sp", project: project)
        let writes = engine.writes
        let apiStop = try #require(writes.firstIndex(of: "stop sp-api-1"))
        let dbStop = try #require(writes.firstIndex(of: "stop sp-db-1"))
        #expect(apiStop < dbStop, "\(writes)")
        #expect(Set(writes.filter { $0.hasPrefix("remove") }) == ["remove sp-api-1", "remove sp-db-1", "remove network sp_default"])
        #expect(try await engine.listContainers(project: "sp").isEmpty)
    }
}
