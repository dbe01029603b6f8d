import DockerEngine
import Foundation
import Logging
import TestSupport
import Testing

@testable import Compose
@testable import Orchestration

/// Swarm deploys against the lab (`scripts/swarm-lab up`: three engines in containers and a
/// registry): what `up --swarm`, `down --swarm` and `ps --swarm` do, through the same library calls.
/// Few and fast: one small stack, its changes, two faults, and a stack of `docker stack deploy`.
@Suite("Swarm deploy on the lab", .serialized, .requiresSwarmLab)
struct SwarmDeployTests {
    /// A stack of its own for each test, under the lab's manager, removed at the end.
    final class Stack: Sendable {
        let lab: SwarmLab
        let manager: DockerEngine.Client
        let host: DockerEngine.Client
        let namespace: String
        let directory: URL
        let deployer: Orchestration.SwarmDeployer

        init() async throws {
            lab = try await SwarmLab.require()
            manager = try lab.manager()
            host = try await TestEngine.client()
            namespace = "sptest-swarm-\(String(UInt32.random(in: .min ... .max), radix: 16))"
            directory = FileManager.default.temporaryDirectory.appendingPathComponent(namespace)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            deployer = Orchestration.SwarmDeployer(client: manager, imageClient: host)
            _ = try await TestImages.busybox(host)
        }

        func write(_ files: [String: String]) throws {
            for (path, text) in files {
                let url = directory.appendingPathComponent(path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try text.write(to: url, atomically: true, encoding: .utf8)
            }
        }

        /// Loads, plans and (unless `dryRun`) executes; returns the plan.
        @discardableResult
        func deploy(_ yaml: String, wait: Bool = true) async throws -> Orchestration.Plan {
            try write(["compose.yml": yaml])
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            var options = ComposeLoadOptions(files: [directory.appendingPathComponent("compose.yml").path], projectName: namespace, environment: [:])
            options.swarm = true
            return try await deploy(ComposeLoader(logger: logger).load(options), wait: wait)
        }

        /// What `up --swarm [--wait]` does with one loaded stack: resolve (push) its images, observe,
        /// plan, execute, wait. Returns the plan.
        @discardableResult
        func deploy(_ compose: ComposeProject, wait: Bool = true, timeout: Duration = .seconds(60)) async throws -> Orchestration.Plan {
            let images = compose.services.compactMap(\.image)
            let resolved = await Orchestration.SwarmImages.resolve(images, registry: lab.registry, client: host)
            let desired = try Orchestration.SwarmProject(compose: compose, images: { resolved.references[$0] ?? $0 }) {
                try Data(contentsOf: URL(fileURLWithPath: $0))
            }
            let observed = try await deployer.observe(namespace: namespace)
            let plan = Orchestration.SwarmPlanner.plan(desired, observed, options: .init(pushes: resolved.pushes))
            let pushes = Dictionary(resolved.pushes.map { ($0.remote, $0.local) }, uniquingKeysWith: { a, _ in a })
            try await deployer.execute(plan, desired: desired, observed: observed, pushes: pushes, timeout: timeout) { _ in }
            if wait { try await deployer.waitAll(desired, timeout: timeout) { _ in } }
            return plan
        }

        /// Service name -> version index.
        func versions() async throws -> [String: UInt64] {
            let list = try await manager.listServices(filters: DockerEngine.Filters().label("\(Orchestration.SwarmLabels.namespace)=\(namespace)"))
            return Dictionary(uniqueKeysWithValues: list.map { ($0.spec?.name ?? $0.id, $0.version?.index ?? 0) })
        }

        func remove() async {
            try? await deployer.remove(namespace: namespace, volumes: true) { _ in }
            try? FileManager.default.removeItem(at: directory)
        }
    }

    static let image = TestImages.busyboxTag

    static func stack(replicas: Int = 1, env: String = "1") -> String {
        """
        services:
          web:
            image: \(image)
            command: ["sh", "-c", "httpd -f -p 8080 -h /etc/app"]
            volumes: ["./conf:/etc/app:ro"]
            healthcheck: {test: [CMD, wget, -q, --spider, "http://localhost:8080/app.conf"], interval: 1s, retries: 20}
            deploy: {endpoint_mode: dnsrr}
          worker:
            image: \(image)
            command: ["sleep", "3600"]
            environment: {N: "\(env)"}
            depends_on: {web: {condition: service_healthy}}
            deploy:
              replicas: \(replicas)
              placement: {max_replicas_per_node: 1}
        """
    }

    @Test("deploy, a no-op second deploy, one changed service, scaling out, a config change, down")
    func lifecycle() async throws {
        let s = try await Stack()
        do {
            try s.write(["conf/app.conf": "one\n"])
            let first = try await s.deploy(Self.stack())
            #expect(first.actions(.createService).count == 2)
            let v1 = try await s.versions()
            let again = try await s.deploy(Self.stack())
            #expect(again.isUpToDate)
            #expect(try await s.versions() == v1)

            try await s.deploy(Self.stack(env: "2"))
            let v2 = try await s.versions()
            #expect(v2["\(s.namespace)_web"] == v1["\(s.namespace)_web"])
            #expect(v2["\(s.namespace)_worker"] != v1["\(s.namespace)_worker"])

            try await s.deploy(Self.stack(replicas: 3, env: "2"))
            let tasks = try await s.manager.listTasks(
                filters: DockerEngine.Filters().adding("service", "\(s.namespace)_worker").adding("desired-state", "running"))
            #expect(Set(tasks.compactMap(\.nodeID)).count == 3)
            let scaled = try await s.versions()

            try s.write(["conf/app.conf": "two\n"])
            let rolled = try await s.deploy(Self.stack(replicas: 3, env: "2"))
            #expect(rolled.actions(.updateService).map(\.service) == ["web"])
            let v3 = try await s.versions()
            #expect(v3["\(s.namespace)_worker"] == scaled["\(s.namespace)_worker"])
            #expect(v3["\(s.namespace)_web"] != scaled["\(s.namespace)_web"])
        } catch {
            await s.remove()
            throw error
        }
        await s.remove()
        let filter = DockerEngine.Filters().label("\(Orchestration.SwarmLabels.namespace)=\(s.namespace)")
        #expect(try await s.manager.listServices(filters: filter).isEmpty)
        #expect(try await s.manager.listNetworks(filters: filter).isEmpty)
        #expect(try await s.manager.listConfigs(filters: filter).isEmpty)
    }

    @Test("a placement constraint no node satisfies fails naming the constraint; an image missing from the registry names the node")
    func faults() async throws {
        let s = try await Stack()
        let unplaceable =
            "services:\n  a:\n    image: \(Self.image)\n    command: [sleep, \"60\"]\n    deploy:\n"
            + "      placement:\n        constraints: [\"node.labels.gpu == yes\"]\n"
        await #expect {
            try await s.deploy(unplaceable)
        } throws: { error in
            "\(error)".contains("node.labels.gpu == yes") && "\(error)".contains("no suitable node")
        }
        let missing = "services:\n  b:\n    image: \(s.lab.registry)/sptest/never-pushed:1\n"
        await #expect {
            try await s.deploy(missing)
        } throws: { error in
            "\(error)".contains("on node-") && "\(error)".lowercased().contains("image")
        }
        await s.remove()
    }

    @Test("a stack deployed by docker stack deploy is seen with its tasks, and removed")
    func dockerStackDeploy() async throws {
        try ToolGate.require("/usr/bin/docker")
        let s = try await Stack()
        let image = s.lab.reference("stackpilot-test/busybox", tag: "latest")
        try await s.host.tagImage(Self.image, as: image)
        try await s.host.push(image)
        try s.write(["stack.yml": "version: \"3.8\"\nservices:\n  w:\n    image: \(image)\n    command: [sleep, \"3600\"]\n    deploy: {replicas: 2}\n"])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/docker")
        process.arguments = [
            "-H", SwarmLab.host(s.lab.managerSocket), "stack", "deploy", "-c", s.directory.appendingPathComponent("stack.yml").path, s.namespace,
        ]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let observed = try await s.deployer.observe(namespace: s.namespace)
        #expect(observed.services.map(\.spec?.name) == ["\(s.namespace)_w"])
        await s.remove()
        #expect(try await s.deployer.observe(namespace: s.namespace).services.isEmpty)
    }
}
