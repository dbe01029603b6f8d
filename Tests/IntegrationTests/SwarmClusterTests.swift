import Compose
import DockerEngine
import Foundation
import HTTPTransport
import Logging
import PrometheusAPI
import TestSupport
import Testing

@testable import Doctor
@testable import Orchestration

/// The doctor's swarm group against the lab's real manager, after a small deploy with
/// SwarmDeployTests' fixture (`Doctor.SwarmState.read` and the checks that judge it), and both
/// stacks of the repository deployed, a worker drained, and removed.
@Suite("Swarm cluster on the lab", .serialized, .requiresSwarmLab)
struct SwarmClusterTests {
    /// The swarm group, with a Prometheus that does not answer (the overlay check then says it
    /// cannot look) and the lab's registry.
    static func swarmReport(_ lab: SwarmLab, _ manager: DockerEngine.Client) async throws -> [String: Doctor.Finding] {
        let url = "http://127.0.0.1:\(try TestServers.freePort())"
        let prometheus = PrometheusAPI.Client(
            transport: try CurlTransport(endpoint: HTTPEndpoint(address: .url(url))), endpoint: url, logger: Logger(label: "test"))
        let report = await Doctor.Runner().run(Doctor.swarmChecks(manager, prometheus: prometheus, registry: lab.registry))
        return Dictionary(report.results.map { ($0.check, $0.finding) }, uniquingKeysWith: { a, _ in a })
    }

    /// Two services that need no IPVS (this kernel has none): dnsrr endpoints.
    static let small = """
        services:
          a:
            image: \(SwarmDeployTests.image)
            command: [sleep, "3600"]
            deploy: {endpoint_mode: dnsrr, replicas: 2}
          b:
            image: \(SwarmDeployTests.image)
            command: [sleep, "3600"]
            deploy: {endpoint_mode: dnsrr, mode: global}
        """

    @Test("after a small deploy the state reads the stack's services and tasks, and the swarm group passes")
    func doctorAfterDeploy() async throws {
        let s = try await SwarmDeployTests.Stack()
        do {
            try await s.deploy(Self.small)
            let state = try #require(try await Doctor.SwarmState.read(s.manager))
            #expect(state.nodes.count == s.lab.nodeSockets.count)
            let names = Set(state.services.compactMap(\.spec?.name))
            #expect(names.isSuperset(of: ["\(s.namespace)_a", "\(s.namespace)_b"]))
            let ours = Set(state.services.filter { $0.spec?.name?.hasPrefix(s.namespace) == true }.map(\.id))
            let running = state.tasks.filter { ours.contains($0.serviceID ?? "") && $0.status?.state == .running }
            #expect(running.count == 2 + s.lab.nodeSockets.count)

            let findings = try await Self.swarmReport(s.lab, s.manager)
            #expect(findings["nodes"]?.code == "swarm.nodes.ok")
            #expect(findings["managers"]?.code == "swarm.managers.ok")
            let mine = Doctor.SwarmState(
                nodes: state.nodes, services: state.services.filter { ours.contains($0.id) },
                tasks: state.tasks.filter { ours.contains($0.serviceID ?? "") })
            #expect(Doctor.swarmServicesFinding(mine).status == .ok)
            #expect(findings["overlay"]?.code == "swarm.overlay.unknown")
            #expect(findings["tasks"]?.status != .failure)
            #expect(findings["registry"]?.code == "swarm.registry.ok")
            // Other stacks on the shared lab may need IPVS; ours must not be named.
            #expect(!(findings["ports"]?.evidence ?? []).contains { $0.hasPrefix(s.namespace) })
        } catch {
            await s.remove()
            throw error
        }
        await s.remove()
    }

    // The repository's deployment (stacks/stackpilot.yml: monitoring, then app) on the lab, as
    // `up --swarm --wait` deploys it, from DoctorStackDeployment's renamed copy (its own project,
    // network and port names), the lab registry holding the local images. In this suite, not one of
    // its own, so that its drained worker never meets the other test's doctor run.
    static let perNode = ["node-exporter", "engine-proxy", "exporter"]

    /// `service` → the ids of the nodes where one of its tasks runs.
    static func runningNodes(_ manager: DockerEngine.Client, namespaces: [String]) async throws -> [String: Set<String>] {
        let services = try await manager.listServices()
        var nodes: [String: Set<String>] = [:]
        for task in try await manager.listTasks(filters: DockerEngine.Filters().adding("desired-state", "running")) where task.status?.state == .running {
            guard let name = services.first(where: { $0.id == task.serviceID })?.spec?.name, namespaces.contains(where: { name.hasPrefix("\($0)_") })
            else { continue }
            nodes[name, default: []].insert(task.nodeID ?? "")
        }
        return nodes
    }

    static func setAvailability(_ manager: DockerEngine.Client, node id: String, _ availability: DockerEngine.NodeAvailability) async throws {
        let node = try await manager.inspectNode(id)
        var spec = try #require(node.spec)
        spec.availability = availability
        try await manager.updateNode(id, version: node.version?.index ?? 0, spec: spec)
    }

    /// Polls `condition` every half second until it holds or `timeout` passes.
    static func eventually(_ timeout: Duration, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(500))
        }
        return try await condition()
    }

    @Test("up --swarm --wait: per-node services on every node; a drained worker's tasks move and doctor says so; down removes everything")
    func bothStacks() async throws {
        let s = try await SwarmDeployTests.Stack()
        let copy = try DoctorStackDeployment.prepare(engine: s.host, prefix: "sptest-swarm")
        // The copy is its own repository: dashboards/ beside stacks/ becomes configs, as in a checkout.
        FileManager.default.createFile(atPath: copy.directory.appendingPathComponent(".git").path, contents: Data())
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let projects = try Manifest.load(path: copy.manifestPath).loadProjects(
            loader: ComposeLoader(logger: logger), environment: copy.environment, swarm: true)
        let namespaces = projects.map(\.name)
        #expect(namespaces == [copy.monitoringProject, copy.appProject])
        let nodes = try await s.manager.listNodes()
        var drained: String?
        do {
            for compose in projects { try await s.deploy(compose, timeout: .seconds(180)) }
            let running = try await Self.runningNodes(s.manager, namespaces: namespaces)
            for name in Self.perNode {
                #expect(running["\(copy.monitoringProject)_\(name)"] == Set(nodes.map(\.id)), "\(name)")
            }

            let worker = try #require(nodes.first { $0.spec?.role == .worker && $0.spec?.availability == .active })
            drained = worker.id
            try await Self.setAvailability(s.manager, node: worker.id, .drain)
            let moved = try await Self.eventually(.seconds(60)) {
                let now = try await Self.runningNodes(s.manager, namespaces: namespaces)
                let converged = try await s.manager.listServices().filter { svc in namespaces.contains { svc.spec?.name?.hasPrefix("\($0)_") == true } }
                    .allSatisfy { $0.serviceStatus?.runningTasks == $0.serviceStatus?.desiredTasks }
                return converged && now.values.allSatisfy { !$0.contains(worker.id) }
            }
            #expect(moved, "the drained worker still runs tasks, or a service did not converge elsewhere")
            let findings = try await Self.swarmReport(s.lab, s.manager)
            #expect(findings["nodes"]?.code == "swarm.nodes.drained")
            try await Self.setAvailability(s.manager, node: worker.id, .active)
            drained = nil
        } catch {
            if let drained { try? await Self.setAvailability(s.manager, node: drained, .active) }
            for n in namespaces.reversed() { try? await s.deployer.remove(namespace: n, volumes: true) { _ in } }
            await s.remove()
            try? FileManager.default.removeItem(at: copy.directory)
            throw error
        }
        for n in namespaces.reversed() { try await s.deployer.remove(namespace: n, volumes: true) { _ in } }
        await s.remove()
        try? FileManager.default.removeItem(at: copy.directory)
        for n in namespaces {
            let filter = DockerEngine.Filters().label("\(Orchestration.SwarmLabels.namespace)=\(n)")
            #expect(try await s.manager.listServices(filters: filter).isEmpty)
            #expect(try await s.manager.listNetworks(filters: filter).isEmpty)
            #expect(try await s.manager.listConfigs(filters: filter).isEmpty)
            #expect(try await s.manager.listSecrets(filters: filter).isEmpty)
        }
    }
}
