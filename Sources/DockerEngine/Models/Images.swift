import Foundation

extension DockerEngine {
    /// One entry of `GET /images/json`.
    public struct ImageSummary: Codable, Sendable, Hashable {
        public var id: String
        public var parentID: String?
        public var repoTags: [String]?
        public var repoDigests: [String]?
        public var created: Int64?
        public var size: Int64?
        public var labels: [String: String]?
        public var containers: Int?
        enum CodingKeys: String, CodingKey {
            case id = "Id", parentID = "ParentId", repoTags = "RepoTags", repoDigests = "RepoDigests"
            case created = "Created", size = "Size", labels = "Labels", containers = "Containers"
        }
    }

    /// `GET /images/{name}/json`.
    public struct ImageInspect: Codable, Sendable, Hashable {
        public struct Config: Codable, Sendable, Hashable {
            public var user: String?
            public var env: [String]?
            public var cmd: [String]?
            public var entrypoint: [String]?
            public var workingDir: String?
            public var labels: [String: String]?
            public var exposedPorts: [String: Empty]?
            public var volumes: [String: Empty]?
            public var healthcheck: HealthConfig?
            public var stopSignal: String?
            enum CodingKeys: String, CodingKey {
                case user = "User", env = "Env", cmd = "Cmd", entrypoint = "Entrypoint", workingDir = "WorkingDir"
                case labels = "Labels", exposedPorts = "ExposedPorts", volumes = "Volumes", healthcheck = "Healthcheck"
                case stopSignal = "StopSignal"
            }
        }

        public var id: String
        public var repoTags: [String]?
        public var repoDigests: [String]?
        public var created: String?
        public var architecture: String?
        public var os: String?
        public var size: Int64?
        public var config: Config?
        enum CodingKeys: String, CodingKey {
            case id = "Id", repoTags = "RepoTags", repoDigests = "RepoDigests", created = "Created"
            case architecture = "Architecture", os = "Os", size = "Size", config = "Config"
        }
    }

    /// One entry of `DELETE /images/{name}`.
    public struct ImageDeleteItem: Codable, Sendable, Hashable {
        public var untagged: String?
        public var deleted: String?
        enum CodingKeys: String, CodingKey { case untagged = "Untagged", deleted = "Deleted" }
    }

    /// The `errorDetail` of a progress record.
    public struct ErrorDetail: Codable, Sendable, Hashable {
        public var code: Int?
        public var message: String?
    }

    /// One record of a pull, push or build stream.
    public struct ProgressMessage: Codable, Sendable, Hashable {
        public struct Detail: Codable, Sendable, Hashable {
            public var current: Int64?
            public var total: Int64?
        }
        public struct Aux: Codable, Sendable, Hashable {
            /// The image ID a build produced.
            public var id: String?
            enum CodingKeys: String, CodingKey { case id = "ID" }
        }

        /// Layer or image the record is about.
        public var id: String?
        /// `Pulling fs layer`, `Downloading`, `Pull complete`, `Status: Downloaded newer image for …`.
        public var status: String?
        public var progress: String?
        public var progressDetail: Detail?
        /// Build output text (with its own newlines).
        public var stream: String?
        public var aux: Aux?
        public var error: String?
        public var errorDetail: ErrorDetail?

        /// The error message this record carries, if any.
        public var errorMessage: String? {
            errorDetail?.message ?? error
        }
    }

    /// Options of `POST /build`.
    public struct BuildOptions: Sendable, Hashable {
        /// `name:tag` references to apply (`t`, repeatable).
        public var tags: [String]
        /// Path of the Dockerfile inside the context.
        public var dockerfile: String?
        public var buildArgs: [String: String]
        public var target: String?
        public var labels: [String: String]
        public var noCache: Bool
        public var pull: Bool
        /// Remove intermediate containers (the engine's default is true).
        public var remove: Bool
        public var forceRemove: Bool
        public var platform: String?
        public var networkMode: String?

        public init(
            tags: [String] = [], dockerfile: String? = nil, buildArgs: [String: String] = [:], target: String? = nil, labels: [String: String] = [:],
            noCache: Bool = false, pull: Bool = false, remove: Bool = true, forceRemove: Bool = true, platform: String? = nil, networkMode: String? = nil
        ) {
            self.tags = tags
            self.dockerfile = dockerfile
            self.buildArgs = buildArgs
            self.target = target
            self.labels = labels
            self.noCache = noCache
            self.pull = pull
            self.remove = remove
            self.forceRemove = forceRemove
            self.platform = platform
            self.networkMode = networkMode
        }
    }

    /// A reference split into repository and tag/digest, as `POST /images/create` wants it.
    public struct ImageReference: Sendable, Hashable, CustomStringConvertible {
        public var repository: String
        /// A tag (`latest` when none was given) or a digest (`sha256:…`).
        public var tag: String

        public init(_ reference: String) {
            if let at = reference.firstIndex(of: "@") {
                repository = String(reference[..<at])
                tag = String(reference[reference.index(after: at)...])
                return
            }
            // A colon after the last slash is a tag; before it, a registry port.
            let lastSlash = reference.lastIndex(of: "/")
            if let colon = reference.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true {
                repository = String(reference[..<colon])
                tag = String(reference[reference.index(after: colon)...])
            } else {
                repository = reference
                tag = "latest"
            }
        }

        public var isDigest: Bool { tag.contains(":") }
        public var description: String { isDigest ? "\(repository)@\(tag)" : "\(repository):\(tag)" }
    }
}

extension DockerEngine.ProgressMessage {
    public init(id: String? = nil, status: String? = nil, current: Int64? = nil, total: Int64? = nil) {
        self.id = id
        self.status = status
        if current != nil || total != nil { self.progressDetail = Detail(current: current, total: total) }
    }
}
