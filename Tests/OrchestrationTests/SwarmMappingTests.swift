import DockerEngine
import Foundation
import Logging
import Testing

@testable import Compose
@testable import Orchestration

/// Loads compose text for Swarm from a fresh directory (with extra files), and maps it.
enum SwarmFixture {
    static func load(_ yaml: String, files: [String: String] = [:], name: String = "st") throws -> (ComposeProject, Orchestration.SwarmProject) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sp-swarm-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (path, text) in files.merging(["compose.yml": yaml], uniquingKeysWith: { a, _ in a }) {
            let url = dir.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        var options = ComposeLoadOptions(files: [dir.appendingPathComponent("compose.yml").path], projectName: name, environment: [:])
        options.swarm = true
        let project = try ComposeLoader(logger: logger).load(options)
        let key = ConfigHashKey(bytes: Array(repeating: 7, count: 32))
        let swarm = try Orchestration.SwarmProject(compose: project, images: { $0 == "local/app:1" ? "reg:5000/local/app:1" : $0 }, key: key) { path in
            guard let data = FileManager.default.contents(atPath: path) else { throw CocoaError(.fileNoSuchFile) }
            return data
        }
        return (project, swarm)
    }
}

@Suite("Compose to Swarm: the service spec of each deploy key")
struct SwarmMappingTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var snippet: String
        var check: @Sendable (DockerEngine.ServiceSpec) -> Bool
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "replicas", snippet: "deploy: {replicas: 3}") { $0.mode == .replicated(3) },
        Case(name: "scale", snippet: "scale: 2") { $0.mode == .replicated(2) },
        Case(name: "mode global", snippet: "deploy: {mode: global}") { $0.mode == .global },
        Case(
            name: "placement",
            snippet: "deploy: {placement: {constraints: [\"node.role == manager\"], preferences: [{spread: node.labels.zone}], max_replicas_per_node: 2}}"
        ) {
            $0.taskTemplate?.placement
                == DockerEngine.Placement(
                    constraints: ["node.role == manager"],
                    preferences: [.init(spread: .init(spreadDescriptor: "node.labels.zone"))], maxReplicas: 2)
        },
        Case(name: "limits", snippet: "deploy: {resources: {limits: {cpus: \"0.5\", memory: 64m, pids: 100}}}") {
            $0.taskTemplate?.resources?.limits == DockerEngine.Limit(nanoCPUs: 500_000_000, memoryBytes: 67_108_864, pids: 100)
        },
        Case(
            name: "reservations with generic resources",
            snippet: "deploy: {resources: {reservations: {cpus: \"1\", memory: 1g, generic_resources: [{discrete_resource_spec: {kind: gpu, value: 2}}]}}}"
        ) {
            $0.taskTemplate?.resources?.reservations
                == DockerEngine.ResourceObject(
                    nanoCPUs: 1_000_000_000, memoryBytes: 1_073_741_824,
                    genericResources: [.init(discreteResourceSpec: .init(kind: "gpu", value: 2))])
        },
        Case(name: "mem_limit without deploy", snippet: "mem_limit: 32m") { $0.taskTemplate?.resources?.limits?.memoryBytes == 33_554_432 },
        Case(name: "restart_policy", snippet: "deploy: {restart_policy: {condition: on-failure, delay: 5s, max_attempts: 3, window: 1m}}") {
            $0.taskTemplate?.restartPolicy
                == DockerEngine.TaskRestartPolicy(condition: .onFailure, delay: 5_000_000_000, maxAttempts: 3, window: 60_000_000_000)
        },
        Case(name: "restart unless-stopped", snippet: "restart: unless-stopped") { $0.taskTemplate?.restartPolicy?.condition == .any },
        Case(name: "restart no", snippet: "restart: \"no\"") { $0.taskTemplate?.restartPolicy?.condition == .never },
        Case(
            name: "update_config",
            snippet: "deploy: {update_config: {parallelism: 2, delay: 10s, failure_action: rollback, monitor: 30s, max_failure_ratio: 0.5, order: start-first}}"
        ) {
            $0.updateConfig
                == DockerEngine.UpdateConfig(
                    parallelism: 2, delay: 10_000_000_000, failureAction: .rollback, monitor: 30_000_000_000,
                    maxFailureRatio: 0.5, order: .startFirst)
        },
        Case(name: "rollback_config", snippet: "deploy: {rollback_config: {parallelism: 1, order: stop-first, failure_action: pause}}") {
            $0.rollbackConfig == DockerEngine.UpdateConfig(parallelism: 1, failureAction: .pause, order: .stopFirst)
        },
        Case(name: "endpoint_mode dnsrr with a host port", snippet: "deploy: {endpoint_mode: dnsrr}\n    ports: [{target: 80, published: 8080, mode: host}]") {
            $0.endpointSpec == DockerEngine.EndpointSpec(mode: .dnsrr, ports: [.init(targetPort: 80, publishedPort: 8080, publishMode: .host)])
        },
        Case(name: "ingress port", snippet: "ports: [\"8080:80/udp\"]") {
            $0.endpointSpec?.ports == [.init(protocol: "udp", targetPort: 80, publishedPort: 8080, publishMode: .ingress)]
        },
        Case(name: "deploy labels on the service, labels on the containers", snippet: "deploy: {labels: {tier: web}}\n    labels: {team: ml}") {
            $0.labels?["tier"] == "web" && $0.labels?["team"] == nil && $0.taskTemplate?.containerSpec?.labels?["team"] == "ml"
        },
        Case(name: "networks with aliases", snippet: "networks: {extra: {aliases: [web]}}") {
            $0.taskTemplate?.networks == [.init(target: "st_extra", aliases: ["a", "web"])]
        },
        Case(name: "command, entrypoint, env", snippet: "command: [serve]\n    entrypoint: [/bin/app]\n    environment: {A: \"1\"}") {
            $0.taskTemplate?.containerSpec?.args == ["serve"] && $0.taskTemplate?.containerSpec?.command == ["/bin/app"]
                && $0.taskTemplate?.containerSpec?.env == ["A=1"]
        },
        Case(name: "healthcheck", snippet: "healthcheck: {test: [CMD, \"true\"], interval: 10s, retries: 3}") {
            $0.taskTemplate?.containerSpec?.healthcheck?.test == ["CMD", "true"] && $0.taskTemplate?.containerSpec?.healthcheck?.interval == 10_000_000_000
        },
        Case(name: "a repository file becomes a config at the mount's path", snippet: "volumes: [\"./conf/app.yml:/etc/app.yml:ro\"]") {
            $0.taskTemplate?.containerSpec?.configs?.map(\.file?.name) == ["/etc/app.yml"] && $0.taskTemplate?.containerSpec?.mounts == nil
        },
        Case(name: "a repository directory becomes a config per file", snippet: "volumes: [\"./conf:/etc/conf:ro\"]") {
            $0.taskTemplate?.containerSpec?.configs?.map(\.file?.name) == ["/etc/conf/app.yml", "/etc/conf/sub/b.yml"]
        },
        Case(name: "a named volume is labelled with the stack", snippet: "volumes: [\"data:/data\"]") {
            $0.taskTemplate?.containerSpec?.mounts == [
                DockerEngine.Mount(
                    type: "volume", source: "st_data", target: "/data",
                    volumeOptions: .init(labels: ["com.docker.stack.namespace": "st", "com.docker.compose.project": "st"]))
            ]
        },
        Case(
            name: "a host path of a pinned service stays a bind mount",
            snippet: "volumes: [\"/srv:/srv\"]\n    deploy: {placement: {constraints: [\"node.hostname == n1\"]}}"
        ) {
            $0.taskTemplate?.containerSpec?.mounts == [DockerEngine.Mount(type: "bind", source: "/srv", target: "/srv")]
        },
        Case(name: "network_mode host", snippet: "network_mode: host") { $0.taskTemplate?.networks == [.init(target: "host")] },
        Case(name: "network_mode none joins no network", snippet: "network_mode: none") { $0.taskTemplate?.networks == [] },
        Case(name: "extra_hosts in /etc/hosts order", snippet: "extra_hosts: [\"db:10.0.0.5\"]") { $0.taskTemplate?.containerSpec?.hosts == ["10.0.0.5 db"] },
        Case(name: "a local image is named by the registry", snippet: "image: local/app:1") {
            $0.taskTemplate?.containerSpec?.image == "reg:5000/local/app:1" && $0.labels?["com.docker.stack.image"] == "local/app:1"
        },
    ]

    static func yaml(_ snippet: String) -> String {
        "services:\n  a:\n" + (snippet.hasPrefix("image:") ? "" : "    image: busybox\n")
            + "    \(snippet)\n  b:\n    image: busybox\nnetworks:\n  extra: {}\nvolumes:\n  data: {}\n"
    }

    static let files = ["conf/app.yml": "a: 1\n", "conf/sub/b.yml": "b: 2\n", "s.txt": "secret\n", "c.txt": "config\n"]

    @Test("each deploy key reaches the service spec with the engine's value", arguments: cases)
    func mapped(_ c: Case) throws {
        let (_, swarm) = try SwarmFixture.load(Self.yaml(c.snippet), files: Self.files)
        let spec = try #require(swarm.service("a")?.spec)
        #expect(c.check(spec), "\(spec)")
    }

    @Test("the stack's labels: docker stack sees the services, StackPilot sees its own hash")
    func labels() throws {
        let (_, swarm) = try SwarmFixture.load(Self.yaml("labels: {x: y}"))
        let a = try #require(swarm.service("a"))
        #expect(a.name == "st_a")
        #expect(a.spec.name == "st_a")
        #expect(a.spec.labels?["com.docker.stack.namespace"] == "st")
        #expect(a.spec.labels?["com.docker.stack.image"] == "busybox")
        #expect(a.spec.labels?["com.docker.compose.service"] == "a")
        #expect(a.spec.labels?[Orchestration.SwarmLabels.specHash] == a.specHash)
        #expect(a.spec.taskTemplate?.containerSpec?.labels?["com.docker.stack.namespace"] == "st")
        #expect(swarm.networks.map(\.request.driver) == ["overlay", "overlay"])
        #expect(swarm.networks.allSatisfy { $0.request.attachable == true && $0.request.labels?["com.docker.stack.namespace"] == "st" })
    }

    @Test("the spec hash is stable, changes with the spec, and not with another service")
    func specHash() throws {
        let (_, one) = try SwarmFixture.load(Self.yaml("environment: {A: \"1\"}"))
        let (_, again) = try SwarmFixture.load(Self.yaml("environment: {A: \"1\"}"))
        let (_, changed) = try SwarmFixture.load(Self.yaml("environment: {A: \"2\"}"))
        #expect(one.service("a")?.specHash == again.service("a")?.specHash)
        #expect(one.service("a")?.specHash != changed.service("a")?.specHash)
        #expect(one.service("b")?.specHash == changed.service("b")?.specHash)
    }

    @Test("configs and secrets are named by their content: a change is a new name, used only by the services that mount it")
    func contentNames() throws {
        let yaml = """
            services:
              a:
                image: busybox
                configs: [c]
                secrets: [s]
              b:
                image: busybox
            configs:
              c: {file: ./c.txt}
            secrets:
              s: {file: ./s.txt}
            """
        let (_, one) = try SwarmFixture.load(yaml, files: Self.files)
        let (_, two) = try SwarmFixture.load(yaml, files: Self.files.merging(["c.txt": "changed\n"]) { _, b in b })
        #expect(one.configs.count == 1 && one.secrets.count == 1)
        #expect(one.configs[0].name.hasPrefix("st_c_") && one.configs[0].name != two.configs[0].name)
        #expect(one.secrets[0].name == two.secrets[0].name)
        #expect(one.service("a")?.spec.taskTemplate?.containerSpec?.configs?.first?.configName == one.configs[0].name)
        #expect(one.service("a")?.spec.taskTemplate?.containerSpec?.secrets?.first?.file?.name == "/run/secrets/s")
        #expect(one.service("a")?.specHash != two.service("a")?.specHash)
        #expect(one.service("b")?.specHash == two.service("b")?.specHash)
    }

    @Test("the repository's stacks map: node-exporter global, every service in the overlay network")
    func repositoryStacks() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let manifest = try Manifest.load(path: root.appendingPathComponent("stacks/stackpilot.yml").path)
        let projects = try manifest.loadProjects(loader: ComposeLoader(logger: logger), environment: [:], swarm: true)
        for p in projects {
            let swarm = try Orchestration.SwarmProject(compose: p) { path in try Data(contentsOf: URL(fileURLWithPath: path)) }
            #expect(swarm.services.count == p.services.count)
            for s in swarm.services where s.service != "engine-proxy" {
                #expect(s.spec.taskTemplate?.networks?.map(\.target) == ["stackpilot"], "\(s.name)")
            }
        }
    }

    @Test("a stack's X.swarm.yml is merged over X.yml for swarm only: the per-node services are global, Prometheus and Grafana on a manager")
    func swarmOverlay() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let manifest = try Manifest.load(path: root.appendingPathComponent("stacks/stackpilot.yml").path)
        let monitoring = try #require(manifest.deployment.first { $0.project == "stackpilot-monitoring" })
        #expect(Manifest.swarmOverlay(of: monitoring.file) == root.appendingPathComponent("stacks/monitoring.swarm.yml").path)

        let single = try manifest.loadProjects(loader: ComposeLoader(logger: logger), environment: [:])
        #expect(single.flatMap(\.services).allSatisfy { $0.deploy?.mode == nil })

        let projects = try manifest.loadProjects(loader: ComposeLoader(logger: logger), environment: [:], swarm: true)
        let project = try #require(projects.first { $0.name == "stackpilot-monitoring" })
        let swarm = try Orchestration.SwarmProject(compose: project) { path in try Data(contentsOf: URL(fileURLWithPath: path)) }
        for name in ["node-exporter", "engine-proxy", "exporter"] {
            #expect(swarm.service(name)?.global == true, "\(name)")
        }
        for name in ["prometheus", "grafana"] {
            #expect(swarm.service(name)?.global == false, "\(name)")
            #expect(swarm.service(name)?.spec.taskTemplate?.placement?.constraints == ["node.role == manager"], "\(name)")
        }
        let prometheusMounts = swarm.service("prometheus")?.spec.taskTemplate?.containerSpec?.mounts?.map(\.target) ?? []
        #expect(prometheusMounts.contains("/run/stackpilot"))
    }
}

@Suite("The declared table of service keys, from compose file to swarm service spec")
struct SwarmKeyTableTests {
    /// The single-host cases, with values Swarm accepts where theirs are swarm-only mistakes.
    static let swarmSnippets = [
        "deploy": "deploy: {replicas: 2, placement: {constraints: [\"node.role == manager\"]}}",
        "volumes": "volumes: [\"data:/x\"]",
    ]

    static var cases: [ServiceKeyTableTests.Case] {
        ServiceKeyTableTests.cases.map { c in
            var c = c
            if let s = swarmSnippets[c.key] { c.snippet = s }
            return c
        }
    }

    struct Effect: Equatable {
        var spec: DockerEngine.ServiceSpec
        var replicas: Int
        var dependencies: [Orchestration.Dependency]
        var build: Orchestration.BuildSpec?
    }

    static func load(_ snippet: String?) throws -> (ComposeProject, Effect?) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sp-swarmkeys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let envFile = dir.appendingPathComponent("a.env")
        try "FROM_FILE=1\n".write(to: envFile, atomically: true, encoding: .utf8)
        try "s\n".write(to: dir.appendingPathComponent("s.txt"), atomically: true, encoding: .utf8)
        try "c\n".write(to: dir.appendingPathComponent("c.txt"), atomically: true, encoding: .utf8)
        var lines = ["services:", "  a:"]
        let replacesImage = snippet.map { $0.hasPrefix("image:") || $0.hasPrefix("build:") } ?? false
        if !replacesImage { lines.append("    image: busybox") }
        if let snippet { lines.append("    " + snippet.replacingOccurrences(of: "ENVFILE", with: envFile.path)) }
        lines += [
            "  b:", "    image: busybox", "networks:", "  extra: {}", "volumes:", "  data: {}", "secrets:", "  s: {file: ./s.txt}",
            "configs:", "  c: {file: ./c.txt}",
        ]
        let file = dir.appendingPathComponent("compose.yml")
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        var options = ComposeLoadOptions(files: [file.path], projectName: "keys", environment: [:])
        options.swarm = true
        let project = try ComposeLoader(logger: logger).load(options)
        let swarm = try Orchestration.SwarmProject(compose: project, key: ConfigHashKey(bytes: Array(repeating: 1, count: 32))) { path in
            try Data(contentsOf: URL(fileURLWithPath: path))
        }
        guard var a = swarm.service("a") else { return (project, nil) }
        a.spec.labels?[Orchestration.SwarmLabels.specHash] = nil
        return (project, Effect(spec: a.spec, replicas: a.replicas, dependencies: a.dependencies, build: a.build))
    }

    @Test("every key has a swarm disposition, and every swarm-applied key an application onto the spec")
    func tableIsComplete() {
        #expect(Set(Self.cases.map(\.key)) == ServiceKey.names)
        #expect(Set(ServiceKey.swarmAppliedNames) == Set(Orchestration.swarmKeyApplications.keys))
        // A row that does not say what Swarm does keeps its single-host disposition: only keys that do nothing there may.
        for key in ServiceKey.all where key.swarm == key.disposition {
            switch key.disposition {
            case .ignored, .refused, .orchestration: continue
            case .applied: #expect(ServiceKey.swarmAppliedNames.contains(key.name))
            }
        }
    }

    @Test("on Swarm a key that is set changes the spec or the deployment, or is warned about, or refused: no silent drop", arguments: cases)
    func keyHasAnEffect(_ c: ServiceKeyTableTests.Case) throws {
        let entry = try #require(ServiceKey.named(c.key))
        let (_, base) = try Self.load(nil)
        if case .refused = entry.swarm {
            #expect(throws: ComposeError.self) { try Self.load(c.snippet) }
            return
        }
        let (project, effect) = try Self.load(c.snippet)
        let warned = project.warnings.contains { $0.path.hasPrefix("services.a.\(c.key)") }
        switch entry.swarm {
        case .ignored:
            #expect(warned)
        case .applied:
            #expect(!warned)
            #expect(effect?.spec != base?.spec)
        case .orchestration, .refused:
            #expect(!warned)
            #expect(effect != base)
        }
    }
}
