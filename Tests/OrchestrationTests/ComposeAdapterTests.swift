import DockerEngine
import Foundation
import Logging
import Testing

@testable import Compose
@testable import Orchestration

@Suite("Orchestration.DesiredProject from the compose model")
struct ComposeAdapterTests {
    /// One directory for every load, so relative paths resolve the same way each time.
    static let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sp-adapter-\(UUID().uuidString)")

    static func load(_ yaml: String, name: String = "adapt") throws -> Orchestration.DesiredProject {
        let dir = directory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = directory.appendingPathComponent("compose-\(UUID().uuidString).yml")
        defer { try? FileManager.default.removeItem(at: file) }
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let project = try ComposeLoader(logger: logger).load(ComposeLoadOptions(files: [file.path], projectName: name, environment: [:]))
        return Orchestration.DesiredProject(compose: project)
    }

    static let stack = """
        services:
          api:
            image: example/api:1
            command: ["serve", "--port", "5000"]
            environment:
              MODE: prod
            ports:
              - "127.0.0.1:5000:5000"
            expose: ["9000"]
            volumes:
              - ./data:/data:ro
              - type: bind
                source: /definitely/not/here
                target: /config
              - cache:/cache
            restart: unless-stopped
            healthcheck:
              test: ["CMD", "wget", "-q", "--spider", "http://localhost:5000/health"]
              interval: 10s
              retries: 3
            depends_on:
              model:
                condition: service_healthy
                restart: true
            labels:
              team: ml
            deploy:
              resources:
                limits:
                  cpus: "0.5"
                  memory: 256M
          model:
            image: example/model:1
            networks:
              default:
              backend:
                aliases: [inference]
        volumes:
          cache: {}
        networks:
          backend: {}
        """

    @Test("the create body carries command, environment, ports, mounts, restart policy, healthcheck and limits")
    func createBody() throws {
        let p = try Self.load(Self.stack)
        let api = try #require(p.service("api"))
        let c = api.container
        #expect(c.image == "example/api:1")
        #expect(c.cmd == ["serve", "--port", "5000"])
        #expect(c.env == ["MODE=prod"])
        #expect(c.labels?["team"] == "ml")
        #expect(c.exposedPorts?.keys.sorted() == ["5000/tcp", "9000/tcp"])
        #expect(c.hostConfig?.portBindings?["5000/tcp"] == [.init(hostIP: "127.0.0.1", hostPort: "5000")])
        #expect(c.hostConfig?.restartPolicy?.name == "unless-stopped")
        #expect(c.healthcheck?.interval == 10_000_000_000)
        #expect(c.healthcheck?.retries == 3)
        #expect(c.hostConfig?.nanoCpus == 500_000_000)
        #expect(c.hostConfig?.memory == Int64(268_435_456))
        // Short-syntax bind: Binds (the engine creates a missing directory, as compose does).
        #expect(c.hostConfig?.binds?.count == 1)
        #expect(c.hostConfig?.binds?.first?.hasSuffix(":/data:ro") == true)
        // Long-syntax bind: a mount whose source is checked before anything is touched.
        #expect(api.bindSources == ["/definitely/not/here"])
        #expect(c.hostConfig?.mounts?.contains { $0.type == "volume" && $0.source == "adapt_cache" && $0.target == "/cache" } == true)
        #expect(api.publishedPorts == [.init(hostIP: "127.0.0.1", hostPort: 5000, proto: "tcp")])
        #expect(api.hasHealthcheck)
        #expect(api.dependencies == [.init(service: "model", condition: .serviceHealthy, required: true, restart: true)])
        #expect(!api.configHash.isEmpty)
    }

    @Test("networks get the service name as alias, plus the declared ones")
    func networks() throws {
        let p = try Self.load(Self.stack)
        let model = try #require(p.service("model"))
        let endpoints = try #require(model.container.networkingConfig?.endpointsConfig)
        #expect(Set(endpoints.keys) == ["adapt_default", "adapt_backend"])
        #expect(endpoints["adapt_backend"]?.aliases == ["model", "inference"])
        #expect(Set(p.networks.map(\.name)) == ["adapt_default", "adapt_backend"])
        #expect(p.volumes.map(\.name) == ["adapt_cache"])
    }

    @Test("changing one field changes the config hash and only that field's hash")
    func fieldHashes() throws {
        let a = try #require(try Self.load(Self.stack).service("api"))
        let b = try #require(try Self.load(Self.stack.replacingOccurrences(of: "MODE: prod", with: "MODE: test")).service("api"))
        #expect(a.configHash != b.configHash)
        #expect(Orchestration.Planner.changedFields(old: a.fieldHashes, new: b.fieldHashes) == ["environment"])
        // depends_on does not count, as in compose.
        let c = try #require(try Self.load(Self.stack.replacingOccurrences(of: "restart: true", with: "restart: false")).service("api"))
        #expect(a.configHash == c.configHash)
    }
}

@Suite("The declared table of service keys, from compose file to create body")
struct ServiceKeyTableTests {
    /// One service key set on service `a` of a small project; `snippet` is its YAML under the service.
    struct Case: Sendable, CustomTestStringConvertible {
        var key: String
        var snippet: String
        var testDescription: String { key }
    }

    /// A value for every key of `ServiceKey.all` (the first test checks that none is missing).
    static let cases: [Case] = [
        Case(key: "annotations", snippet: "annotations: {com.example.a: b}"),
        Case(key: "attach", snippet: "attach: false"),
        Case(key: "blkio_config", snippet: "blkio_config: {weight: 300, device_read_bps: [{path: /dev/sda, rate: 1m}]}"),
        Case(key: "build", snippet: "build: ."),
        Case(key: "cap_add", snippet: "cap_add: [NET_ADMIN]"),
        Case(key: "cap_drop", snippet: "cap_drop: [ALL]"),
        Case(key: "cgroup", snippet: "cgroup: host"),
        Case(key: "cgroup_parent", snippet: "cgroup_parent: sp-parent"),
        Case(key: "command", snippet: "command: [sleep, \"1\"]"),
        Case(key: "configs", snippet: "configs: [c]"),
        Case(key: "container_name", snippet: "container_name: custom-a"),
        Case(key: "cpu_count", snippet: "cpu_count: 2"),
        Case(key: "cpu_percent", snippet: "cpu_percent: 50"),
        Case(key: "cpu_period", snippet: "cpu_period: 100000"),
        Case(key: "cpu_quota", snippet: "cpu_quota: 50000"),
        Case(key: "cpu_rt_period", snippet: "cpu_rt_period: 1000000"),
        Case(key: "cpu_rt_runtime", snippet: "cpu_rt_runtime: 400ms"),
        Case(key: "cpu_shares", snippet: "cpu_shares: 512"),
        Case(key: "cpus", snippet: "cpus: 0.5"),
        Case(key: "cpuset", snippet: "cpuset: \"0\""),
        Case(key: "credential_spec", snippet: "credential_spec: {file: spec.json}"),
        Case(key: "depends_on", snippet: "depends_on: [b]"),
        Case(key: "deploy", snippet: "deploy: {resources: {reservations: {devices: [{capabilities: [gpu]}]}}}"),
        Case(key: "develop", snippet: "develop: {watch: [{path: ., action: rebuild}]}"),
        Case(key: "device_cgroup_rules", snippet: "device_cgroup_rules: [\"c 1:3 mr\"]"),
        Case(key: "devices", snippet: "devices: [\"/dev/null:/dev/xnull\"]"),
        Case(key: "dns", snippet: "dns: 10.0.0.53"),
        Case(key: "dns_opt", snippet: "dns_opt: [use-vc]"),
        Case(key: "dns_search", snippet: "dns_search: example.com"),
        Case(key: "domainname", snippet: "domainname: example.com"),
        Case(key: "entrypoint", snippet: "entrypoint: [sh, -c]"),
        Case(key: "env_file", snippet: "env_file: ENVFILE"),
        Case(key: "environment", snippet: "environment: [A=1]"),
        Case(key: "expose", snippet: "expose: [\"8080\"]"),
        Case(key: "extends", snippet: "extends: {service: b}"),
        Case(key: "external_links", snippet: "external_links: [\"other:alias\"]"),
        Case(key: "extra_hosts", snippet: "extra_hosts: [\"h:10.0.0.1\"]"),
        Case(key: "gpus", snippet: "gpus: all"),
        Case(key: "group_add", snippet: "group_add: [audio]"),
        Case(key: "healthcheck", snippet: "healthcheck: {test: [CMD, \"true\"]}"),
        Case(key: "hostname", snippet: "hostname: h"),
        Case(key: "image", snippet: "image: busybox:other"),
        Case(key: "init", snippet: "init: true"),
        Case(key: "ipc", snippet: "ipc: host"),
        Case(key: "isolation", snippet: "isolation: default"),
        Case(key: "label_file", snippet: "label_file: ENVFILE"),
        Case(key: "labels", snippet: "labels: {team: ml}"),
        Case(key: "links", snippet: "links: [b]"),
        Case(key: "logging", snippet: "logging: {driver: none}"),
        Case(key: "mac_address", snippet: "mac_address: \"02:42:ac:11:00:02\""),
        Case(key: "mem_limit", snippet: "mem_limit: 64m"),
        Case(key: "mem_reservation", snippet: "mem_reservation: 32m"),
        Case(key: "mem_swappiness", snippet: "mem_swappiness: 10"),
        Case(key: "memswap_limit", snippet: "memswap_limit: 128m"),
        Case(key: "network_mode", snippet: "network_mode: host"),
        Case(key: "networks", snippet: "networks: [extra]"),
        Case(key: "oom_kill_disable", snippet: "oom_kill_disable: true"),
        Case(key: "oom_score_adj", snippet: "oom_score_adj: 100"),
        Case(key: "pid", snippet: "pid: host"),
        Case(key: "pids_limit", snippet: "pids_limit: 50"),
        Case(key: "platform", snippet: "platform: linux/amd64"),
        Case(key: "ports", snippet: "ports: [\"8080:80\"]"),
        Case(key: "post_start", snippet: "post_start: [{command: [\"true\"]}]"),
        Case(key: "pre_stop", snippet: "pre_stop: [{command: [\"true\"]}]"),
        Case(key: "privileged", snippet: "privileged: true"),
        Case(key: "profiles", snippet: "profiles: [debug]"),
        Case(key: "pull_policy", snippet: "pull_policy: always"),
        Case(key: "read_only", snippet: "read_only: true"),
        Case(key: "restart", snippet: "restart: always"),
        Case(key: "runtime", snippet: "runtime: runc"),
        Case(key: "scale", snippet: "scale: 2"),
        Case(key: "secrets", snippet: "secrets: [s]"),
        Case(key: "security_opt", snippet: "security_opt: [\"no-new-privileges:true\"]"),
        Case(key: "shm_size", snippet: "shm_size: 64m"),
        Case(key: "stdin_open", snippet: "stdin_open: true"),
        Case(key: "stop_grace_period", snippet: "stop_grace_period: 20s"),
        Case(key: "stop_signal", snippet: "stop_signal: SIGINT"),
        Case(key: "storage_opt", snippet: "storage_opt: {size: 1G}"),
        Case(key: "sysctls", snippet: "sysctls: {net.core.somaxconn: \"1024\"}"),
        Case(key: "tmpfs", snippet: "tmpfs: /run"),
        Case(key: "tty", snippet: "tty: true"),
        Case(key: "ulimits", snippet: "ulimits: {nofile: 1024}"),
        Case(key: "user", snippet: "user: \"1000\""),
        Case(key: "userns_mode", snippet: "userns_mode: host"),
        Case(key: "uts", snippet: "uts: host"),
        Case(key: "volumes", snippet: "volumes: [\"/tmp:/x\"]"),
        Case(key: "volumes_from", snippet: "volumes_from: [b]"),
        Case(key: "working_dir", snippet: "working_dir: /w"),
    ]

    /// What of a service reaches the engine or steers orchestration (hashes left out).
    struct Effect: Equatable {
        var container: DockerEngine.ContainerConfig
        var containerName: String?
        var replicas: Int
        var dependencies: String
        var build: String
        var pullPolicy: String

        init?(_ s: Orchestration.DesiredService?) {
            guard let s else { return nil }
            container = s.container
            containerName = s.containerName
            replicas = s.replicas
            dependencies = String(describing: s.dependencies)
            build = String(describing: s.build)
            pullPolicy = String(describing: s.pullPolicy)
        }
    }

    /// Loads a project whose service `a` sets `snippet` (nil: nothing), with a service `b`, a
    /// network, a secret and a config to refer to.
    static func load(_ snippet: String?) throws -> ComposeProject {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sp-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let envFile = dir.appendingPathComponent("a.env")
        try "FROM_FILE=1\n".write(to: envFile, atomically: true, encoding: .utf8)
        var lines = ["services:", "  a:"]
        let replacesImage = snippet.map { $0.hasPrefix("image:") || $0.hasPrefix("build:") } ?? false
        if !replacesImage { lines.append("    image: busybox") }
        if let snippet { lines.append("    " + snippet.replacingOccurrences(of: "ENVFILE", with: envFile.path)) }
        lines += ["  b:", "    image: busybox", "networks:", "  extra: {}", "secrets:", "  s: {file: ./s.txt}", "configs:", "  c: {file: ./c.txt}"]
        let file = dir.appendingPathComponent("compose.yml")
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return try ComposeLoader(logger: logger).load(ComposeLoadOptions(files: [file.path], projectName: "keys", environment: [:]))
    }

    static func effect(_ project: ComposeProject) -> Effect? {
        Effect(Orchestration.DesiredProject(compose: project).service("a"))
    }

    @Test("every key of the declared table has a case here, and every applied key an application onto the body")
    func tableIsComplete() {
        #expect(Set(Self.cases.map(\.key)) == ServiceKey.names)
        #expect(Set(ServiceKey.appliedNames) == Set(Orchestration.keyApplications.keys))
        #expect(Normaliser.serviceKeys == ServiceKey.names)
        #expect(Set(Normaliser.keyParsers.keys) == ServiceKey.names)
        #expect(Set(ServiceConfig.keyRenderers.keys) == ServiceKey.names)
    }

    @Test("a key that is set changes the create body or the orchestration, or is warned about, or refused", arguments: cases)
    func keyHasAnEffect(_ c: Case) throws {
        let entry = try #require(ServiceKey.named(c.key))
        let base = try Self.load(nil)
        if case .refused = entry.disposition {
            #expect(throws: ComposeError.self) { try Self.load(c.snippet) }
            return
        }
        let project = try Self.load(c.snippet)
        let warned = project.warnings.contains { $0.path.hasPrefix("services.a.\(c.key)") }
        switch entry.disposition {
        case .ignored:
            #expect(warned)
        case .applied:
            #expect(!warned)
            #expect(Self.effect(project)?.container != Self.effect(base)?.container || Self.effect(project)?.containerName != Self.effect(base)?.containerName)
        case .orchestration, .refused:
            #expect(!warned)
            #expect(Self.effect(project) != Self.effect(base))
        }
    }

    struct ValueCase: Sendable, CustomTestStringConvertible {
        var name: String
        var snippet: String
        var check: @Sendable (DockerEngine.ContainerConfig) -> Bool
        var testDescription: String { name }
    }

    @Test(
        "keys that used to be dropped reach the create body with the engine's values",
        arguments: [
            ValueCase(name: "mem_limit", snippet: "mem_limit: 512m") { $0.hostConfig?.memory == 536_870_912 },
            ValueCase(name: "mem_reservation", snippet: "mem_reservation: 1g") { $0.hostConfig?.memoryReservation == 1_073_741_824 },
            ValueCase(name: "memswap_limit -1", snippet: "memswap_limit: -1") { $0.hostConfig?.memorySwap == -1 },
            ValueCase(name: "deploy limits win over mem_limit", snippet: "mem_limit: 1g\n    deploy: {resources: {limits: {memory: 256m}}}") {
                $0.hostConfig?.memory == 268_435_456
            },
            ValueCase(
                name: "reservations.devices", snippet: "deploy: {resources: {reservations: {devices: [{driver: nvidia, count: all, capabilities: [gpu]}]}}}"
            ) {
                $0.hostConfig?.deviceRequests == [DockerEngine.DeviceRequest(driver: "nvidia", count: -1, capabilities: [["gpu"]])]
            },
            ValueCase(
                name: "reservations.devices with ids and options",
                snippet:
                    "deploy: {resources: {reservations: {devices: [{driver: nvidia, device_ids: [\"0\", \"2\"], capabilities: [gpu, utility], options: {x: y}}]}}}"
            ) {
                $0.hostConfig?.deviceRequests == [
                    DockerEngine.DeviceRequest(driver: "nvidia", deviceIDs: ["0", "2"], capabilities: [["gpu", "utility"]], options: ["x": "y"])
                ]
            },
            ValueCase(name: "gpus: all", snippet: "gpus: all") {
                $0.hostConfig?.deviceRequests == [DockerEngine.DeviceRequest(count: -1, capabilities: [["gpu"]])]
            },
            ValueCase(name: "gpus list", snippet: "gpus: [{driver: nvidia, count: 1}]") {
                $0.hostConfig?.deviceRequests == [DockerEngine.DeviceRequest(driver: "nvidia", count: 1, capabilities: [["gpu"]])]
            },
            ValueCase(name: "runtime", snippet: "runtime: nvidia") { $0.hostConfig?.runtime == "nvidia" },
            ValueCase(name: "links", snippet: "links: [\"b:db\"]") { $0.hostConfig?.links == ["keys-b-1:db", "keys-b-1:b-1", "keys-b-1:keys-b-1"] },
            ValueCase(name: "volumes_from", snippet: "volumes_from: [\"b:ro\", \"container:other\"]") {
                $0.hostConfig?.volumesFrom == ["keys-b-1:ro", "other"]
            },
            ValueCase(name: "cpus", snippet: "cpus: 1.5") { $0.hostConfig?.nanoCpus == 1_500_000_000 },
            ValueCase(name: "cpu_rt_runtime duration", snippet: "cpu_rt_runtime: 400ms") { $0.hostConfig?.cpuRealtimeRuntime == 400_000 },
            ValueCase(name: "restart", snippet: "restart: always") { $0.hostConfig?.restartPolicy == DockerEngine.RestartPolicy(name: "always") },
        ])
    func values(_ c: ValueCase) throws {
        let container = try #require(Self.effect(try Self.load(c.snippet))?.container)
        #expect(c.check(container))
    }

    static func loadCopied(_ yaml: String, environment: [String: String]) throws -> ComposeProject {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sp-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("compose.yml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return try ComposeLoader(logger: logger).load(ComposeLoadOptions(files: [file.path], projectName: "keys", environment: environment))
    }

    static let copiedYAML = """
        services:
          a:
            image: busybox
            secrets: [token, {source: token, target: owned, uid: "7", mode: 0400}]
            configs: [app]
        secrets:
          token: {environment: TOKEN}
        configs:
          app: {content: "listen 8080"}
        """

    @Test("a secret from the environment and a config with content are copied in, never printed, and hashed under the key")
    func copiedFiles() throws {
        let project = try Self.loadCopied(Self.copiedYAML, environment: ["TOKEN": "hunter2"])
        #expect(project.warnings.isEmpty)
        let service = try #require(Orchestration.DesiredProject(compose: project).service("a"))
        #expect(
            service.copies == [  // in the table's key order: configs, then secrets
                Orchestration.FileCopy(path: "/app", content: Data("listen 8080".utf8), mode: 0o444),
                Orchestration.FileCopy(path: "/run/secrets/token", content: Data("hunter2".utf8), mode: 0o444),
                Orchestration.FileCopy(path: "/run/secrets/owned", content: Data("hunter2".utf8), mode: 0o400, uid: 7),
            ])
        #expect(service.container.hostConfig?.mounts == nil)
        // Not in `config` (shown or redacted), the labels or the encoded model.
        let shown = try project.plainValue().yaml() + project.redactedPlainValue().prettyJSON()
        #expect(!shown.contains("hunter2"))
        #expect(!String(decoding: try JSONEncoder().encode(project), as: UTF8.self).contains("hunter2"))
        #expect(!Orchestration.DesiredProject(compose: project).containerLabels(service: service, number: 1).values.contains { $0.contains("hunter2") })
        // A changed value changes the (keyed) hash, so the container is recreated.
        let other = try Self.loadCopied(Self.copiedYAML, environment: ["TOKEN": "hunter3"])
        let key = ConfigHashKey(bytes: Array(repeating: 7, count: 32))
        #expect(project.services[0].configHash(key: key) != other.services[0].configHash(key: key))
        #expect(project.services[0].fieldHashes(key: key)["secrets"] != other.services[0].fieldHashes(key: key)["secrets"])
        #expect(project.services[0].fieldHashes(key: key)["configs"] == other.services[0].fieldHashes(key: key)["configs"])
    }

    @Test("an unset variable behind a used secret, and a copied secret in a read-only service, are refused")
    func copiedFilesRefused() throws {
        #expect(throws: ComposeError.self) { try Self.loadCopied(Self.copiedYAML, environment: [:]) }
        let readOnly = Self.copiedYAML.replacingOccurrences(of: "    image: busybox\n", with: "    image: busybox\n    read_only: true\n")
        do {
            _ = try Self.loadCopied(readOnly, environment: ["TOKEN": "hunter2"])
            Issue.record("expected the read-only service to be refused")
        } catch let error as ComposeError {
            #expect(error.diagnostics.map(\.path) == ["services.a.secrets[0]", "services.a.secrets[1]", "services.a.configs[0]"])
            #expect(!error.description.contains("hunter2"))
        }
        let external = Self.copiedYAML.replacingOccurrences(of: "token: {environment: TOKEN}", with: "token: {external: true}")
        let unset = try Self.loadCopied(external, environment: [:])
        #expect(unset.warnings.map(\.path) == ["services.a.secrets[0]", "services.a.secrets[1]"])
    }
}

@Suite("Orchestration.DockerIgnore")
struct DockerIgnoreTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var patterns: [String]
        var path: String
        var excluded: Bool
        var testDescription: String { "\(patterns) \(path) -> \(excluded)" }
    }

    @Test(
        ".dockerignore patterns exclude and re-include as the docker CLI does",
        arguments: [
            Case(patterns: ["*.log"], path: "app.log", excluded: true),
            Case(patterns: ["*.log"], path: "logs/app.log", excluded: false),
            Case(patterns: ["**/*.log"], path: "logs/deep/app.log", excluded: true),
            Case(patterns: ["**/*.log"], path: "app.log", excluded: true),
            Case(patterns: [".build"], path: ".build/debug/x.o", excluded: true),
            Case(patterns: ["/secret/"], path: "secret/key.pem", excluded: true),
            Case(patterns: ["*", "!src"], path: "src/main.swift", excluded: false),
            Case(patterns: ["*", "!src"], path: "README.md", excluded: true),
            Case(patterns: ["# comment", ""], path: "anything", excluded: false),
            Case(patterns: ["docs/*.md", "!docs/keep.md"], path: "docs/keep.md", excluded: false),
        ])
    func patterns(_ c: Case) {
        #expect(Orchestration.DockerIgnore(patterns: c.patterns).excludes(c.path) == c.excluded)
    }

    @Test("a build context leaves out what .dockerignore names but always keeps the Dockerfile")
    func archive() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sp-ctx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("secret"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "FROM scratch\n".write(to: dir.appendingPathComponent("Dockerfile"), atomically: true, encoding: .utf8)
        try "Dockerfile\nsecret\n".write(to: dir.appendingPathComponent(".dockerignore"), atomically: true, encoding: .utf8)
        try "k".write(to: dir.appendingPathComponent("secret/key.pem"), atomically: true, encoding: .utf8)
        try "hi".write(to: dir.appendingPathComponent("hello.txt"), atomically: true, encoding: .utf8)
        let tar = try Orchestration.BuildContext.archive(directory: dir.path)
        let text = String(decoding: tar, as: UTF8.self)
        #expect(text.contains("Dockerfile"))
        #expect(text.contains("hello.txt"))
        #expect(!text.contains("key.pem"))
    }
}

@Suite("Orchestration.Preflight")
struct PreflightTests {
    @Test("a port held by a listening socket is reported as in use, a free one is not")
    func portInUse() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0)
        try #require(listen(fd, 1) == 0)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        let port = Int(UInt16(bigEndian: addr.sin_port))
        #expect(!Orchestration.Preflight.isFree(.init(hostIP: "127.0.0.1", hostPort: port)))
        #expect(!Orchestration.Preflight.isFree(.init(hostIP: "", hostPort: port)))
        close(fd)
        #expect(Orchestration.Preflight.isFree(.init(hostIP: "127.0.0.1", hostPort: port)))
    }
}
