import DockerEngine
import Foundation

/// The swarm of `scripts/swarm-lab up`: N Docker engines in containers on this machine, joined into
/// a swarm, with a TLS registry beside them that the host engine and every node trust.
///
/// Read from the lab's env file (`/run/stackpilot-swarmlab/env`, `KEY=value` lines that
/// `scripts/swarm-lab up` writes), with the process environment winning over the file (so
/// `eval "$(scripts/swarm-lab env)"` or CI can point the tests elsewhere).
///
/// Gate a test on it as on any other tool (skipped with the reason printed when the lab is not up;
/// a failure instead under `STACKPILOT_REQUIRE_ENGINE=1`, set by scripts/test):
///
///     @Test("…", .enabled("needs the swarm lab") { await SwarmLab.runs(for: "swarm deploy") })
///     func deploy() async throws {
///         let lab = try await SwarmLab.require()
///         let manager = try lab.manager()
///         let nodes = try await manager.listNodes()
///         let image = lab.reference("stackpilot-test/busybox", tag: "lab")   // <registry>/stackpilot-test/busybox:lab
///     }
///
/// IntegrationTests has the same gate as a trait: `.requiresSwarmLab`.
public struct SwarmLab: Sendable, Hashable {
    /// Where `scripts/swarm-lab up` writes the lab's variables.
    public static let defaultEnvFile = "/run/stackpilot-swarmlab/env"

    /// The lab's state directory (`STACKPILOT_SWARM_LAB`).
    public var directory: String
    /// The first manager's engine socket (`STACKPILOT_SWARM_MANAGER_SOCKET`).
    public var managerSocket: String
    /// Every manager's socket, the first one first (`STACKPILOT_SWARM_MANAGER_SOCKETS`, `:`-separated).
    public var managerSockets: [String]
    /// Every node's socket, node-1 first (`STACKPILOT_SWARM_NODE_SOCKETS`, `:`-separated).
    public var nodeSockets: [String]
    /// Every node's address on the lab network, node-1 first (`STACKPILOT_SWARM_NODE_ADDRS`, `,`-separated):
    /// host-mode published ports answer there.
    public var nodeAddresses: [String]
    /// `host:port` of the lab registry (`STACKPILOT_SWARM_REGISTRY`).
    public var registry: String
    /// The lab CA's certificate, for clients other than the engines (`STACKPILOT_SWARM_REGISTRY_CA`).
    public var registryCA: String
    /// The docker network of the lab's nodes on the host engine (`STACKPILOT_SWARM_NETWORK`).
    public var network: String

    public init(
        directory: String, managerSocket: String, managerSockets: [String], nodeSockets: [String], nodeAddresses: [String], registry: String,
        registryCA: String, network: String
    ) {
        self.directory = directory
        self.managerSocket = managerSocket
        self.managerSockets = managerSockets
        self.nodeSockets = nodeSockets
        self.nodeAddresses = nodeAddresses
        self.registry = registry
        self.registryCA = registryCA
        self.network = network
    }

    /// Why the lab cannot be used: not up, incomplete variables, or its manager does not answer.
    public struct Unavailable: Error, CustomStringConvertible {
        public var reason: String
        public var description: String {
            "the swarm lab is not usable: \(reason); start it with `sudo scripts/swarm-lab up`"
                + (ToolGate.isRequired() ? " (\(ToolGate.requireVariable)=1, so this is a failure, not a skip)" : "")
        }
    }

    // MARK: - Reading

    /// `KEY=value` lines; blank lines, `#` comments and a leading `export ` are allowed.
    public static func parse(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for rawLine in text.split(whereSeparator: \.isNewline) {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst("export ".count)) }
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return values
    }

    /// The lab described by `variables`; throws naming the first missing variable.
    public static func from(_ variables: [String: String]) throws(Unavailable) -> SwarmLab {
        func value(_ key: String) throws(Unavailable) -> String {
            guard let value = variables[key], !value.isEmpty else { throw Unavailable(reason: "\(key) is not set") }
            return value
        }
        func list(_ key: String, _ separator: Character) throws(Unavailable) -> [String] {
            try value(key).split(separator: separator).map(String.init)
        }
        return SwarmLab(
            directory: try value("STACKPILOT_SWARM_LAB"), managerSocket: try value("STACKPILOT_SWARM_MANAGER_SOCKET"),
            managerSockets: try list("STACKPILOT_SWARM_MANAGER_SOCKETS", ":"), nodeSockets: try list("STACKPILOT_SWARM_NODE_SOCKETS", ":"),
            nodeAddresses: try list("STACKPILOT_SWARM_NODE_ADDRS", ","), registry: try value("STACKPILOT_SWARM_REGISTRY"),
            registryCA: try value("STACKPILOT_SWARM_REGISTRY_CA"), network: try value("STACKPILOT_SWARM_NETWORK"))
    }

    /// The lab from the env file, overridden by `STACKPILOT_SWARM_*` variables of `environment`.
    /// `STACKPILOT_SWARM_ENV_FILE` names another env file.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws(Unavailable) -> SwarmLab {
        let file = environment["STACKPILOT_SWARM_ENV_FILE"] ?? defaultEnvFile
        var variables: [String: String] = [:]
        if let text = try? String(contentsOfFile: file, encoding: .utf8) { variables = parse(text) }
        for (key, value) in environment where key.hasPrefix("STACKPILOT_SWARM_") { variables[key] = value }
        guard !variables.isEmpty else { throw Unavailable(reason: "\(file) does not exist") }
        return try from(variables)
    }

    // MARK: - Engines

    /// The engine at `socket` as a `--host` value: `unix:///run/stackpilot-swarmlab/node-1/docker.sock`.
    public static func host(_ socket: String) -> String { "unix://\(socket)" }

    public func client(socket: String) throws -> DockerEngine.Client {
        try DockerEngine.Client(host: DockerEngine.Host.resolve(host: Self.host(socket), environment: [:]), connectTimeout: .seconds(3))
    }

    /// A client for the first manager (swarm calls: services, nodes, tasks, configs, secrets).
    public func manager() throws -> DockerEngine.Client { try client(socket: managerSocket) }

    /// A client for node `number` (1-based, as the nodes' hostnames `node-1`, `node-2`, …).
    public func node(_ number: Int) throws -> DockerEngine.Client {
        guard nodeSockets.indices.contains(number - 1) else {
            throw Unavailable(reason: "the lab has \(nodeSockets.count) nodes, not node-\(number)")
        }
        return try client(socket: nodeSockets[number - 1])
    }

    /// Clients for every node, node-1 first.
    public func nodes() throws -> [DockerEngine.Client] { try nodeSockets.map(client(socket:)) }

    /// `<registry>/<repository>:<tag>`: a reference that the host engine pushes and the nodes pull.
    public func reference(_ repository: String, tag: String = "latest") -> String { "\(registry)/\(repository):\(tag)" }

    // MARK: - Gate

    private static let probe = Probe()

    /// The lab, when it is up and its manager answers as an active swarm manager; otherwise why not.
    /// Probed once per test process.
    public static func status() async -> Result<SwarmLab, Unavailable> { await probe.result() }

    /// Whether a test that needs the lab runs: when it is up, or always under `STACKPILOT_REQUIRE_ENGINE=1`
    /// (then `require()` fails it with the reason). Prints the reason of a skip.
    public static func runs(for test: String) async -> Bool {
        if case .failure(let unavailable) = await status() {
            return ToolGate.runs(if: false, for: test, needing: "the swarm lab (\(unavailable.reason); `sudo scripts/swarm-lab up`)")
        }
        return true
    }

    /// The lab, or a thrown `Unavailable` with the reason: the first line of a gated test.
    public static func require() async throws(Unavailable) -> SwarmLab { try await status().get() }

    private actor Probe {
        private var cached: Result<SwarmLab, Unavailable>?

        func result() async -> Result<SwarmLab, Unavailable> {
            if let cached { return cached }
            let result = await Self.check()
            cached = result
            return result
        }

        static func check() async -> Result<SwarmLab, Unavailable> {
            do {
                let lab = try SwarmLab.load()
                let info = try await lab.manager().info()
                guard info.swarm?.localNodeState == .active, info.swarm?.controlAvailable == true else {
                    return .failure(Unavailable(reason: "the engine at \(lab.managerSocket) is not an active swarm manager"))
                }
                return .success(lab)
            } catch let unavailable as Unavailable {
                return .failure(unavailable)
            } catch {
                return .failure(Unavailable(reason: "\(error)"))
            }
        }
    }
}
