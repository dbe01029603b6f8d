import Compose
import DockerEngine
import Foundation
import Orchestration
import TestSupport
import Testing

/// Create-body parity with docker-compose on real containers: the same corpus of services is created
/// (not started) by StackPilot's create path (`up --no-start`: observe, plan, execute with
/// `start: false`) and by `docker-compose up --no-start` (1.29.2), and the two containers of each
/// service must agree in `docker inspect`'s `Config` and `HostConfig`.
///
/// The corpus sets every applied key of `ServiceKey.all` that 1.29.2 accepts and this engine can
/// create; left out, each for its reason:
/// - `cgroup`, `gpus`, `uts`: compose v2 keys that 1.29.2 refuses ("Unsupported config option");
///   their bodies are checked against v2's values in `ServiceKeyTableTests`.
/// - `storage_opt`: the engine refuses it at create unless overlay runs on xfs with pquota.
/// - `cpu_rt_period`, `cpu_rt_runtime`: need a kernel with CONFIG_RT_GROUP_SCHED.
/// - `cpu_count`, `cpu_percent`, `credential_spec`, `isolation` values other than `default`: Windows.
/// - `external_links`: needs a container outside the project.
/// - `network_mode: service:`: with `--no-start` 1.29 falls back to the default network ("trying to
///   reuse the network stack of another service that is not running"); v2 and StackPilot use
///   `container:<name>` (ServiceKeyTableTests).
///
/// Normalised on both sides, because they differ by design:
/// 1. Project and container names: 1.29 names containers `<project>_<service>_1`, v2 (and
///    StackPilot) `<project>-<service>-1`; each project name becomes `P` and 1.29's names v2's.
/// 2. Labels: `com.docker.compose.*` and `io.stackpilot.*` are left out (hashes, versions, paths).
/// 3. `Hostname` when not set by the file (the engine uses the container ID).
/// 4. Mounts: 1.29 sends every volume as a `Binds` string, v2 a `Mounts` entry for named volumes
///    and long-syntax binds; both become one sorted list of `source|target|ro-or-rw`.
/// 5. `Links`: 1.29 and v2 add different extra aliases for each link (v1: the container names,
///    v2: `service-N` and `project-service-N`); compared: the links under the aliases the file names.
/// 6. `StopTimeout`: v2 semantics. Compose v2 sends `stop_grace_period` as `StopTimeout`; 1.29 only
///    passes it to the stop call. Left out of the comparison.
/// 7. Empty lists, objects and nulls count as absent, at any depth (1.29 sends `[]`/`{}` where v2
///    sends nothing).
/// 8. `Config.Volumes`: v2 semantics. 1.29 declares each short-syntax mount target as an image-style
///    volume; compose v2 sends none (the mounts carry them).
/// 9. Container IDs (1.29 resolves `volumes_from` to an ID) become the container's normalised name.
@Suite(
    "Create-body parity with docker-compose up --no-start", .serialized, .requiresEngine,
    .enabled(if: DockerComposePeer.ready, "docker-compose is not installed (apt-get install docker-compose)"))
struct CreateBodyParityTests {
    static let declaredAliases: Set<String> = ["db"]

    static func corpus(image: String) -> String {
        """
        services:
          base:
            image: \(image)
            command: ["sleep", "3600"]
            volumes: ["data:/data"]
          resources:
            image: \(image)
            command: ["sleep", "3600"]
            mem_limit: 64m
            mem_reservation: 32m
            memswap_limit: 128m
            mem_swappiness: 10
            cpu_shares: 512
            cpu_period: 100000
            cpu_quota: 50000
            cpuset: "0"
            pids_limit: 50
            oom_score_adj: 100
            oom_kill_disable: true
            shm_size: 32m
            blkio_config:
              weight: 300
            ulimits:
              nofile: {soft: 1024, hard: 2048}
          limits:
            image: \(image)
            command: ["sleep", "3600"]
            cpus: 0.25
            deploy:
              resources:
                limits: {cpus: "0.5", memory: 48m}
                reservations:
                  memory: 16m
                  devices:
                    - {driver: nvidia, count: all, capabilities: [gpu]}
          links:
            image: \(image)
            command: ["sleep", "3600"]
            links: ["base:db"]
            volumes_from: ["base:ro"]
          security:
            image: \(image)
            command: ["sleep", "3600"]
            cap_add: [NET_ADMIN]
            cap_drop: [MKNOD]
            security_opt: ["no-new-privileges:true"]
            read_only: true
            group_add: ["audio"]
            userns_mode: host
            ipc: shareable
            pid: host
            devices: ["/dev/null:/dev/xnull"]
            device_cgroup_rules: ["c 1:3 mr"]
            privileged: false
            cgroup_parent: sptest-keys
            runtime: runc
            isolation: default
          network:
            image: \(image)
            command: ["sleep", "3600"]
            hostname: h1
            domainname: example.com
            dns: [10.0.0.53]
            dns_opt: [use-vc]
            dns_search: [example.com]
            extra_hosts: ["h2:10.0.0.2"]
            mac_address: "02:42:ac:11:00:02"
            expose: ["8080"]
            ports: ["127.0.0.1::80"]
            sysctls: {net.core.somaxconn: "1024"}
            networks:
              back:
                aliases: [backend]
          process:
            image: \(image)
            command: ["sleep", "3600"]
            entrypoint: ["/bin/sh", "-c"]
            environment: {MODE: prod}
            env_file: [a.env]
            labels: {team: ml}
            user: "1000:1000"
            working_dir: /tmp
            healthcheck: {test: ["CMD", "true"], interval: 5s, timeout: 2s, retries: 3, start_period: 1s}
            init: true
            tty: true
            stdin_open: true
            stop_signal: SIGINT
            stop_grace_period: 20s
            restart: on-failure:3
            logging: {driver: json-file, options: {max-size: 1m}}
            tmpfs: ["/run:size=1m"]
            volumes:
              - ./here:/here:ro
              - type: bind
                source: ./there
                target: /there
            secrets: [token]
        volumes:
          data: {}
        networks:
          back: {}
        secrets:
          token: {file: ./token.txt}
        """
    }

    @Test("StackPilot and docker-compose create containers whose Config and HostConfig agree, service by service")
    func createBodies() async throws {
        let client = try await TestEngine.client()
        let image = try await TestImages.busybox(client)
        let id = String(UInt32.random(in: .min ... .max), radix: 16)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-keys-\(id)")
        let spName = "sptest-keys-\(id)s", dcName = "sptest-keys-\(id)d"
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("here"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("there"), withIntermediateDirectories: true)
        try "FROM_FILE=1\n".write(to: dir.appendingPathComponent("a.env"), atomically: true, encoding: .utf8)
        try "not-a-real-token\n".write(to: dir.appendingPathComponent("token.txt"), atomically: true, encoding: .utf8)
        let file = dir.appendingPathComponent("compose.yml")
        try Self.corpus(image: image).write(to: file, atomically: true, encoding: .utf8)
        let executor = Orchestration.Executor(engine: Orchestration.DockerEngineBackend(client: client)) { _ in }
        let environment = ProcessInfo.processInfo.environment

        do {
            // StackPilot's create path, as `stackpilot up --no-start`.
            let project = try ComposeLoader().load(ComposeLoadOptions(files: [file.path], projectName: spName, environment: [:]))
            let desired = Orchestration.DesiredProject(compose: project)
            let plan = try Orchestration.Planner.plan(desired, observed: try await executor.observe(desired))
            try await executor.up(desired, plan: plan, options: .init(start: false))
            // docker-compose's.
            _ = try ComposeParityTests.run(
                DockerComposePeer.executable ?? "docker-compose", ["-p", dcName, "-f", file.path, "up", "--no-start"],
                in: dir.path, environment: environment)

            // Every container of both projects by ID, named as v2 names them, for the IDs the engine reports.
            var names: [String: String] = [:]
            for name in [spName, dcName] {
                for c in try await client.listContainers(all: true, filters: DockerEngine.Filters().label("\(DockerEngine.ComposeLabels.project)=\(name)")) {
                    names[c.id] = "P-\(c.labels?[DockerEngine.ComposeLabels.service] ?? "")-\(c.labels?[DockerEngine.ComposeLabels.containerNumber] ?? "")"
                }
            }
            for service in project.serviceNames {
                let ours = try await Self.inspect(client, project: spName, service: service, environment: environment)
                let theirs = try await Self.inspect(client, project: dcName, service: service, environment: environment)
                let a = Self.normalised(ours, project: spName, v1: false, names: names)
                let b = Self.normalised(theirs, project: dcName, v1: true, names: names)
                for key in Set(a.keys).union(b.keys).sorted() where a[key] != b[key] {
                    Issue.record("\(service): \(key): stackpilot \(a[key] ?? "-") / docker-compose \(b[key] ?? "-")")
                }
            }
        } catch {
            await Self.tearDown(client, executor: executor, projects: [spName, dcName], directory: dir)
            throw error
        }
        await Self.tearDown(client, executor: executor, projects: [spName, dcName], directory: dir)
    }

    /// `docker inspect`'s raw JSON (every field the engine reports, not only those the client models).
    static func inspect(_ client: DockerEngine.Client, project: String, service: String, environment: [String: String]) async throws -> [String: Any] {
        let filters = DockerEngine.Filters().label("\(DockerEngine.ComposeLabels.project)=\(project)").label("\(DockerEngine.ComposeLabels.service)=\(service)")
        let container = try #require(try await client.listContainers(all: true, filters: filters).first, "no container for \(project) \(service)")
        let text = try ComposeParityTests.run("/usr/bin/env", ["docker", "inspect", container.id], in: "/", environment: environment)
        let array = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
        return try #require(array.first)
    }

    /// `Config.X` and `HostConfig.X` as canonical JSON text, after the normalisations above.
    static func normalised(_ inspect: [String: Any], project: String, v1: Bool, names: [String: String]) -> [String: String] {
        var out: [String: String] = [:]
        let id = inspect["Id"] as? String ?? ""
        var config = inspect["Config"] as? [String: Any] ?? [:]
        var host = inspect["HostConfig"] as? [String: Any] ?? [:]
        if let labels = config["Labels"] as? [String: Any] {
            config["Labels"] = labels.filter { !$0.key.hasPrefix("com.docker.compose.") && !$0.key.hasPrefix("io.stackpilot.") }
        }
        if let hostname = config["Hostname"] as? String, id.hasPrefix(hostname) { config["Hostname"] = nil }
        config["StopTimeout"] = nil
        config["Volumes"] = nil
        var mounts: [String] = []
        for bind in host["Binds"] as? [String] ?? [] {
            let parts = bind.split(separator: ":").map(String.init)
            guard parts.count >= 2 else { continue }
            mounts.append("\(parts[0])|\(parts[1])|\(parts.count > 2 && parts[2].split(separator: ",").contains("ro") ? "ro" : "rw")")
        }
        for mount in host["Mounts"] as? [[String: Any]] ?? [] {
            mounts.append("\(mount["Source"] as? String ?? "")|\(mount["Target"] as? String ?? "")|\((mount["ReadOnly"] as? Bool ?? false) ? "ro" : "rw")")
        }
        host["Binds"] = nil
        host["Mounts"] = mounts.isEmpty ? nil : mounts.sorted()
        if let links = host["Links"] as? [String] {
            // `/P-base-1:/P-links-1/db`: keep the links under the file's aliases.
            let kept = links.filter { link in declaredAliases.contains(String(link.split(separator: "/").last ?? "")) }
            host["Links"] = kept.isEmpty ? nil : kept.map { String($0.split(separator: ":")[0]) + ":" + String($0.split(separator: "/").last!) }.sorted()
        }
        for (prefix, dict) in [("Config", config), ("HostConfig", host)] {
            for (key, raw) in dict {
                guard let value = pruned(raw) else { continue }
                guard let data = try? JSONSerialization.data(withJSONObject: ["v": value], options: [.sortedKeys]) else { continue }
                var text = String(decoding: data, as: UTF8.self)
                if v1 {
                    // `<project>_<service>_1` -> `P-<service>-1`.
                    text = text.replacingOccurrences(of: "\(project)_([A-Za-z0-9.-]+)_([0-9]+)", with: "P-$1-$2", options: .regularExpression)
                }
                text = text.replacingOccurrences(of: project, with: "P")
                for (id, name) in names { text = text.replacingOccurrences(of: id, with: name) }
                out["\(prefix).\(key)"] = text
            }
        }
        return out
    }

    /// The value without empty lists, empty objects and nulls, at any depth; nil when nothing is left.
    static func pruned(_ value: Any) -> Any? {
        if value is NSNull { return nil }
        if let list = value as? [Any] {
            let kept = list.compactMap(pruned)
            return kept.isEmpty ? nil : kept
        }
        if let map = value as? [String: Any] {
            let kept = map.compactMapValues(pruned)
            return kept.isEmpty ? nil : kept
        }
        return value
    }

    static func tearDown(_ client: DockerEngine.Client, executor: Orchestration.Executor, projects: [String], directory: URL) async {
        for name in projects {
            try? await executor.down(projectName: name, project: nil, options: .init(removeVolumes: true, timeout: 0))
            let filter = DockerEngine.Filters().label("\(DockerEngine.ComposeLabels.project)=\(name)")
            for c in (try? await client.listContainers(all: true, filters: filter)) ?? [] { try? await client.removeContainer(c.id, force: true) }
            for n in (try? await client.listNetworks(filters: filter)) ?? [] { try? await client.removeNetwork(n.id) }
            for v in (try? await client.listVolumes()) ?? [] where v.labels?[DockerEngine.ComposeLabels.project] == name {
                try? await client.removeVolume(v.name, force: true)
            }
        }
        try? FileManager.default.removeItem(at: directory)
    }
}
