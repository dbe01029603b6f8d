import DockerEngine
import Foundation

extension Orchestration {
    /// How an image is obtained (compose's `pull_policy`).
    public enum PullPolicy: String, Sendable, Hashable, CaseIterable, Codable {
        /// Pull only when the image is not present locally (the default).
        case missing
        /// Pull on every up.
        case always
        /// Never pull; a missing image is an error.
        case never
        /// Build from `build:` on every up.
        case build

        public init?(composeValue: String) {
            switch composeValue.lowercased() {
            case "missing", "if_not_present": self = .missing
            case "always": self = .always
            case "never": self = .never
            case "build": self = .build
            default: return nil
            }
        }
    }

    /// compose's `depends_on` condition.
    public enum DependencyCondition: String, Sendable, Hashable, Codable {
        case serviceStarted = "service_started"
        case serviceHealthy = "service_healthy"
        case serviceCompletedSuccessfully = "service_completed_successfully"
    }

    public struct Dependency: Sendable, Hashable {
        public var service: String
        public var condition: DependencyCondition
        /// `required: false`: a missing or failing dependency is a warning, not a failure.
        public var required: Bool
        /// `restart: true`: the dependent restarts when this dependency is recreated or restarted.
        public var restart: Bool

        public init(service: String, condition: DependencyCondition = .serviceStarted, required: Bool = true, restart: Bool = false) {
            self.service = service
            self.condition = condition
            self.required = required
            self.restart = restart
        }
    }

    public struct BuildSpec: Sendable, Hashable {
        /// Absolute path of the build context.
        public var context: String
        /// Dockerfile path relative to the context.
        public var dockerfile: String
        public var args: [String: String]
        public var target: String?

        public init(context: String, dockerfile: String = "Dockerfile", args: [String: String] = [:], target: String? = nil) {
            self.context = context
            self.dockerfile = dockerfile
            self.args = args
            self.target = target
        }
    }

    /// A published port, for the "port already in use" pre-check.
    public struct PublishedPort: Sendable, Hashable {
        public var hostIP: String
        public var hostPort: Int
        public var proto: String

        public init(hostIP: String = "", hostPort: Int, proto: String = "tcp") {
            self.hostIP = hostIP
            self.hostPort = hostPort
            self.proto = proto
        }
    }

    /// One service as the user wants it.
    public struct DesiredService: Sendable {
        public var name: String
        /// Image reference to run (for a build, the tag to give the built image).
        public var image: String
        /// compose's config hash (SHA-256 of the canonical service JSON).
        public var configHash: String
        /// Short hash per top-level field of the canonical service JSON, to explain recreates.
        public var fieldHashes: [String: String]
        public var dependencies: [Dependency]
        public var replicas: Int
        public var pullPolicy: PullPolicy
        public var build: BuildSpec?
        public var hasHealthcheck: Bool
        /// `container_name:` when set.
        public var containerName: String?
        /// The engine's create body, without name and compose labels (the executor adds those).
        public var container: DockerEngine.ContainerConfig
        /// Host paths of bind mounts (checked before anything is touched).
        public var bindSources: [String]
        public var publishedPorts: [PublishedPort]
        /// Seconds to wait for a graceful stop (`stop_grace_period`).
        public var stopTimeout: Int?
        /// Services whose containers must exist when this one is created (links, volumes_from,
        /// network_mode service:): the engine resolves them in the create call.
        public var createAfter: [String] = []
        /// Files copied into each new container before it starts (secrets and configs sourced from
        /// `environment` or `content`). Their contents are secrets: never printed.
        public var copies: [FileCopy] = []

        public init(
            name: String, image: String, configHash: String, fieldHashes: [String: String] = [:],
            dependencies: [Dependency] = [], replicas: Int = 1, pullPolicy: PullPolicy = .missing,
            build: BuildSpec? = nil, hasHealthcheck: Bool = false, containerName: String? = nil,
            container: DockerEngine.ContainerConfig = DockerEngine.ContainerConfig(), bindSources: [String] = [],
            publishedPorts: [PublishedPort] = [], stopTimeout: Int? = nil
        ) {
            self.name = name
            self.image = image
            self.configHash = configHash
            self.fieldHashes = fieldHashes
            self.dependencies = dependencies
            self.replicas = replicas
            self.pullPolicy = pullPolicy
            self.build = build
            self.hasHealthcheck = hasHealthcheck
            self.containerName = containerName
            self.container = container
            self.bindSources = bindSources
            self.publishedPorts = publishedPorts
            self.stopTimeout = stopTimeout
        }
    }

    /// A file written into a created container (through `PUT /containers/{id}/archive`).
    public struct FileCopy: Sendable, Equatable {
        /// Absolute path in the container.
        public var path: String
        public var content: Data
        public var mode: Int
        /// Owner (numbers); root when nil.
        public var uid: Int?
        public var gid: Int?

        public init(path: String, content: Data, mode: Int, uid: Int? = nil, gid: Int? = nil) {
            self.path = path
            self.content = content
            self.mode = mode
            self.uid = uid
            self.gid = gid
        }

        /// The files as one tar archive to extract at `/`, and whether the engine must keep its owners.
        static func archive(_ files: [FileCopy]) throws -> (data: Data, copyUIDGID: Bool) {
            var tar = DockerEngine.TarWriter()
            for file in files {
                try tar.addFile(String(file.path.drop(while: { $0 == "/" })), contents: file.content, mode: file.mode, uid: file.uid ?? 0, gid: file.gid ?? 0)
            }
            return (tar.finish(), files.contains { $0.uid != nil || $0.gid != nil })
        }
    }

    public struct DesiredNetwork: Sendable, Hashable {
        /// The key under `networks:` (e.g. `default`).
        public var key: String
        /// The engine-side name (`<project>_<key>` unless `name:` or external).
        public var name: String
        public var driver: String?
        public var external: Bool
        public var `internal`: Bool
        public var attachable: Bool
        public var labels: [String: String]

        public init(
            key: String, name: String, driver: String? = nil, external: Bool = false, internal: Bool = false, attachable: Bool = false,
            labels: [String: String] = [:]
        ) {
            self.key = key
            self.name = name
            self.driver = driver
            self.external = external
            self.internal = `internal`
            self.attachable = attachable
            self.labels = labels
        }
    }

    public struct DesiredVolume: Sendable, Hashable {
        public var key: String
        public var name: String
        public var driver: String?
        public var external: Bool
        public var labels: [String: String]

        public init(key: String, name: String, driver: String? = nil, external: Bool = false, labels: [String: String] = [:]) {
            self.key = key
            self.name = name
            self.driver = driver
            self.external = external
            self.labels = labels
        }
    }

    /// A whole project (one compose stack) as the user wants it.
    public struct DesiredProject: Sendable {
        public var name: String
        public var workingDirectory: String
        public var configFiles: [String]
        public var services: [DesiredService]
        public var networks: [DesiredNetwork]
        public var volumes: [DesiredVolume]

        public init(
            name: String, workingDirectory: String, configFiles: [String], services: [DesiredService], networks: [DesiredNetwork] = [],
            volumes: [DesiredVolume] = []
        ) {
            self.name = name
            self.workingDirectory = workingDirectory
            self.configFiles = configFiles
            self.services = services
            self.networks = networks
            self.volumes = volumes
        }

        public func service(_ name: String) -> DesiredService? { services.first { $0.name == name } }

        /// The labels every container of `service` carries.
        public func containerLabels(service: DesiredService, number: Int) -> [String: String] {
            var labels = service.container.labels ?? [:]
            labels[Labels.project] = name
            labels[Labels.service] = service.name
            labels[Labels.containerNumber] = String(number)
            labels[Labels.oneoff] = "False"
            labels[Labels.configHash] = service.configHash
            labels[Labels.configFiles] = configFiles.joined(separator: ",")
            labels[Labels.workingDir] = workingDirectory
            labels[Labels.version] = Labels.composeVersion
            labels[Labels.image] = service.image
            if !service.dependencies.isEmpty {
                labels[Labels.dependsOn] = service.dependencies
                    .map { "\($0.service):\($0.condition.rawValue):\($0.restart)" }.joined(separator: ",")
            }
            if !service.fieldHashes.isEmpty {
                labels[Labels.fieldHashes] = service.fieldHashes.sorted { $0.key < $1.key }
                    .map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            }
            return labels
        }
    }
}

// MARK: - Observed state

extension Orchestration {
    /// What exists on the engine for one project, as the engine reports it, plus the local images
    /// the plan needs to know about.
    public struct ObservedState: Sendable {
        public var containers: [DockerEngine.ContainerSummary]
        public var networks: [DockerEngine.Network]
        public var volumes: [DockerEngine.Volume]
        /// Image reference -> local image ID, for the references the desired project uses.
        /// A reference absent from the map is not present locally.
        public var images: [String: String]

        public init(
            containers: [DockerEngine.ContainerSummary] = [], networks: [DockerEngine.Network] = [], volumes: [DockerEngine.Volume] = [],
            images: [String: String] = [:]
        ) {
            self.containers = containers
            self.networks = networks
            self.volumes = volumes
            self.images = images
        }
    }
}
