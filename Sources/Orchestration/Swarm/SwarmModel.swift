import Compose
import DockerEngine
import Foundation

extension Orchestration {
    /// The labels that make a swarm deployment one stack, for `docker stack` and for StackPilot alike.
    public enum SwarmLabels {
        /// `docker stack deploy`'s namespace label, on services, networks, configs, secrets and task containers.
        public static let namespace = "com.docker.stack.namespace"
        /// `docker stack deploy`'s record of the image as the stack file names it.
        public static let image = "com.docker.stack.image"
        /// The keyed hash of the desired spec (`SwarmService.specHash`): equal means nothing to update.
        public static let specHash = "io.stackpilot.spec-hash"
        /// What a config or secret holds: the key under `configs:`/`secrets:`, or the repository file.
        public static let source = "io.stackpilot.source"
    }

    /// One stack on Swarm: services, the overlay networks, configs and secrets it creates (named by
    /// content), and the named volumes its tasks use (per node).
    public struct SwarmProject: Sendable {
        /// The stack's namespace: the compose project name.
        public var namespace: String
        public var services: [SwarmService]
        public var networks: [SwarmNetwork]
        public var configs: [SwarmObject]
        public var secrets: [SwarmObject]
        /// Engine names of the named volumes the services mount (not external ones).
        public var volumes: [String]

        public init(
            namespace: String, services: [SwarmService], networks: [SwarmNetwork], configs: [SwarmObject], secrets: [SwarmObject],
            volumes: [String]
        ) {
            self.namespace = namespace
            self.services = services
            self.networks = networks
            self.configs = configs
            self.secrets = secrets
            self.volumes = volumes
        }

        public func service(_ name: String) -> SwarmService? { services.first { $0.service == name } }
    }

    public struct SwarmService: Sendable {
        /// The compose service name.
        public var service: String
        /// The swarm service name, `<namespace>_<service>` as `docker stack deploy` names it.
        public var name: String
        /// The spec, with the config and secret references named but without their IDs (the
        /// executor fills them in from what exists), and the spec hash among its labels.
        public var spec: DockerEngine.ServiceSpec
        public var specHash: String
        public var dependencies: [Dependency]
        public var hasHealthcheck: Bool
        public var global: Bool
        /// Desired tasks of a replicated service.
        public var replicas: Int
        /// The image as the compose file names it, and as the nodes pull it (`SwarmImages`).
        public var image: String
        public var build: BuildSpec?
    }

    public struct SwarmNetwork: Sendable, Hashable {
        public var key: String
        public var name: String
        public var external: Bool
        public var request: DockerEngine.NetworkCreateRequest
    }

    /// A config or secret: immutable on Swarm, so its name carries a hash of its content and a change
    /// is a new object (which rolls the services that use it).
    public struct SwarmObject: Sendable, Hashable {
        public var name: String
        public var data: Data
        public var labels: [String: String]
        /// An external object is referred to, never created.
        public var external: Bool
    }
}
