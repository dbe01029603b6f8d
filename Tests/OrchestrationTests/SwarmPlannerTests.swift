import DockerEngine
import Foundation
import Testing

@testable import Orchestration

@Suite("Orchestration.SwarmPlanner")
struct SwarmPlannerTests {
    typealias O = Orchestration

    static let yaml = """
        services:
          api:
            image: local/app:1
            configs: [c]
            depends_on:
              model: {condition: service_healthy}
          model:
            image: busybox
            deploy: {replicas: 1}
            healthcheck: {test: [CMD, "true"]}
          web:
            image: busybox
        configs:
          c: {file: ./c.txt}
        """

    static func decode<T: Decodable>(_ type: T.Type, _ object: [String: Any]) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONSerialization.data(withJSONObject: object))
    }

    static func json(_ value: some Encodable) throws -> Any {
        try JSONSerialization.jsonObject(with: JSONEncoder().encode(value))
    }

    /// What the swarm holds once `desired` was deployed (each spec as sent, version 5).
    static func converged(_ desired: O.SwarmProject) throws -> O.SwarmObserved {
        O.SwarmObserved(
            services: try desired.services.map {
                try decode(DockerEngine.Service.self, ["ID": "id-\($0.service)", "Version": ["Index": 5], "Spec": try json($0.spec)])
            },
            networks: try desired.networks.map {
                try decode(DockerEngine.Network.self, ["Id": "n-\($0.name)", "Name": $0.name, "Scope": "swarm", "Driver": "overlay"])
            },
            configs: try desired.configs.map { try decode(DockerEngine.SwarmConfig.self, ["ID": "c-\($0.name)", "Spec": ["Name": $0.name]]) },
            secrets: [])
    }

    static func load(_ yaml: String = yaml, config: String = "one\n") throws -> O.SwarmProject {
        try SwarmFixture.load(yaml, files: ["c.txt": config]).1
    }

    @Test("a first deploy creates the network, the config, then every service")
    func first() throws {
        let plan = O.SwarmPlanner.plan(try Self.load(), O.SwarmObserved())
        #expect(plan.actions.map(\.kind) == [.createNetwork, .createConfig, .createService, .createService, .createService])
        #expect(plan.problems.isEmpty)
    }

    @Test("a second deploy of the same files plans no write at all")
    func noOp() throws {
        let desired = try Self.load()
        let plan = O.SwarmPlanner.plan(desired, try Self.converged(desired))
        #expect(plan.isUpToDate)
        #expect(plan.actions.allSatisfy { $0.kind == .upToDate })
    }

    @Test("changing one service updates only it")
    func oneService() throws {
        let desired = try Self.load()
        let changed = try Self.load(Self.yaml.replacingOccurrences(of: "deploy: {replicas: 1}", with: "deploy: {replicas: 3}"))
        let plan = O.SwarmPlanner.plan(changed, try Self.converged(desired))
        #expect(plan.actions.filter(\.isWrite).map(\.kind) == [.updateService])
        #expect(plan.actions(.updateService).map(\.service) == ["model"])
        #expect(plan.actions(.updateService).first?.containerID == "id-model")
    }

    @Test("a config change makes a new config, rolls only the services that use it, and removes the old one")
    func configChange() throws {
        let desired = try Self.load()
        let plan = O.SwarmPlanner.plan(try Self.load(config: "two\n"), try Self.converged(desired))
        #expect(plan.actions.filter(\.isWrite).map(\.kind) == [.createConfig, .updateService, .removeConfig])
        #expect(plan.actions(.updateService).map(\.service) == ["api"])
    }

    @Test("a service scaled behind the stack's back is scaled back")
    func scaledOutside() throws {
        let desired = try Self.load()
        var observed = try Self.converged(desired)
        let i = try #require(observed.services.firstIndex { $0.spec?.name == "st_model" })
        observed.services[i].spec?.mode = .replicated(5)
        let plan = O.SwarmPlanner.plan(desired, observed)
        #expect(plan.actions(.updateService).map(\.service) == ["model"])
    }

    @Test("a stack deployed by docker stack deploy (no spec hash) is taken over by one update per service")
    func takeOver() throws {
        let desired = try Self.load()
        var observed = try Self.converged(desired)
        for i in observed.services.indices { observed.services[i].spec?.labels?[O.SwarmLabels.specHash] = nil }
        let plan = O.SwarmPlanner.plan(desired, observed)
        #expect(plan.actions(.updateService).count == 3)
    }

    @Test("orphans are warned about, and removed only when asked")
    func orphans() throws {
        let desired = try Self.load()
        var observed = try Self.converged(desired)
        observed.services.append(try Self.decode(DockerEngine.Service.self, ["ID": "old", "Spec": ["Name": "st_old"]]))
        #expect(O.SwarmPlanner.plan(desired, observed).warnings.count == 1)
        let plan = O.SwarmPlanner.plan(desired, observed, options: .init(removeOrphans: true))
        #expect(plan.actions(.removeService).map(\.target) == ["st_old"])
    }

    @Test("a local network of the same name is a problem before any write")
    func localNetwork() throws {
        let desired = try Self.load()
        var observed = try Self.converged(desired)
        observed.networks = [try Self.decode(DockerEngine.Network.self, ["Id": "x", "Name": "st_default", "Scope": "local", "Driver": "bridge"])]
        let plan = O.SwarmPlanner.plan(desired, observed)
        #expect(plan.problems.count == 1)
    }

    @Test("images are pushed only for services that are created or updated")
    func pushes() throws {
        let desired = try Self.load()
        let pushes = [(local: "local/app:1", remote: "reg:5000/local/app:1")]
        #expect(O.SwarmPlanner.plan(desired, O.SwarmObserved(), options: .init(pushes: pushes)).actions.first?.kind == .pushImage)
        #expect(O.SwarmPlanner.plan(desired, try Self.converged(desired), options: .init(pushes: pushes)).isUpToDate)
    }

    @Test(
        "registry names of local images",
        arguments: [
            ("stackpilot-local/workload-sim:0.1.0", "127.0.0.1:5000/stackpilot-local/workload-sim:0.1.0"),
            ("busybox", "127.0.0.1:5000/busybox:latest"),
            ("example.com:443/team/app:2", "127.0.0.1:5000/team/app:2"),
            ("127.0.0.1:5000/x:1", "127.0.0.1:5000/x:1"),
        ])
    func remoteNames(_ local: String, _ remote: String) {
        #expect(O.SwarmImages.remoteName(local, registry: "127.0.0.1:5000") == remote)
    }

    @Test("a digest-pinned image is pulled as written")
    func digest() {
        #expect(O.SwarmImages.remoteName("prom/prometheus@sha256:abc", registry: "r:5000") == nil)
    }
}

@Suite("Orchestration.SwarmConvergence")
struct SwarmConvergenceTests {
    typealias O = Orchestration

    static func service(replicas: Int) throws -> DockerEngine.Service {
        try SwarmPlannerTests.decode(DockerEngine.Service.self, ["ID": "s1", "Spec": ["Name": "st_api", "Mode": ["Replicated": ["Replicas": replicas]]]])
    }

    static func task(
        _ id: String, slot: Int, node: String, state: String, desired: String = "running", err: String? = nil, exit: Int? = nil
    ) throws -> DockerEngine.SwarmTask {
        var status: [String: Any] = ["State": state]
        if let err { status["Err"] = err }
        if let exit { status["ContainerStatus"] = ["ExitCode": exit] }
        return try SwarmPlannerTests.decode(
            DockerEngine.SwarmTask.self, ["ID": id, "ServiceID": "s1", "Slot": slot, "NodeID": node, "Status": status, "DesiredState": desired])
    }

    static let nodes: [DockerEngine.Node] =
        (try? [
            SwarmPlannerTests.decode(DockerEngine.Node.self, ["ID": "n1", "Description": ["Hostname": "lab-1"]]),
            SwarmPlannerTests.decode(DockerEngine.Node.self, ["ID": "n2", "Description": ["Hostname": "lab-2"]]),
        ]) ?? []

    @Test("every task running is converged; fewer is converging")
    func running() throws {
        let tasks = [try Self.task("t1", slot: 1, node: "n1", state: "running"), try Self.task("t2", slot: 2, node: "n2", state: "running")]
        #expect(O.SwarmConvergence.status(service: try Self.service(replicas: 2), tasks: tasks, nodes: Self.nodes, health: nil) == .converged)
        guard case .converging = O.SwarmConvergence.status(service: try Self.service(replicas: 3), tasks: tasks, nodes: Self.nodes, health: nil) else {
            Issue.record("expected converging")
            return
        }
    }

    @Test("a task that cannot be placed or has no image fails with its error and node")
    func permanent() throws {
        let pending = try Self.task("t1", slot: 1, node: "", state: "pending", err: "no suitable node (insufficient resources on 2 nodes)")
        #expect(
            O.SwarmConvergence.status(service: try Self.service(replicas: 1), tasks: [pending], nodes: Self.nodes, health: nil)
                == .failed(["st_api.1 on no node: no suitable node (insufficient resources on 2 nodes)"]))
        let rejected = try Self.task("t2", slot: 1, node: "n2", state: "rejected", desired: "shutdown", err: "No such image: reg:5000/x:1")
        #expect(
            O.SwarmConvergence.status(service: try Self.service(replicas: 1), tasks: [rejected], nodes: Self.nodes, health: nil)
                == .failed(["st_api.1 on lab-2: No such image: reg:5000/x:1"]))
    }

    @Test("a crash loop fails with the exit code")
    func crashLoop() throws {
        let tasks = try (1...3).map {
            try Self.task("t\($0)", slot: 1, node: "n1", state: "failed", desired: "shutdown", err: "task: non-zero exit (137)", exit: 137)
        }
        guard case .failed(let lines) = O.SwarmConvergence.status(service: try Self.service(replicas: 1), tasks: tasks, nodes: Self.nodes, health: nil) else {
            Issue.record("expected a failure")
            return
        }
        #expect(lines.count == 1 && lines[0].contains("lab-1") && lines[0].contains("exit code 137"))
    }

    @Test("a running task that is not yet healthy is not converged")
    func health() throws {
        let tasks = [try Self.task("t1", slot: 1, node: "n1", state: "running")]
        #expect(O.SwarmConvergence.status(service: try Self.service(replicas: 1), tasks: tasks, nodes: Self.nodes, health: ["t1": "starting"]) != .converged)
        #expect(O.SwarmConvergence.status(service: try Self.service(replicas: 1), tasks: tasks, nodes: Self.nodes, health: ["t1": "healthy"]) == .converged)
    }
}
