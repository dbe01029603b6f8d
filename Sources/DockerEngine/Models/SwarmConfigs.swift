import Foundation

extension DockerEngine {
    /// `ConfigSpec`: the body of `POST /configs/create`. `data` travels base64-encoded (at most 500 KB).
    public struct ConfigSpec: Codable, Sendable, Hashable {
        public var name: String
        public var labels: [String: String]?
        public var data: Data?
        /// `{"Name": "golang"}` renders the data as a Go template per task.
        public var templating: Driver?
        public init(name: String, labels: [String: String]? = nil, data: Data?, templating: Driver? = nil) {
            self.name = name
            self.labels = labels
            self.data = data
            self.templating = templating
        }
        enum CodingKeys: String, CodingKey { case name = "Name", labels = "Labels", data = "Data", templating = "Templating" }
    }

    /// `GET /configs`, `GET /configs/{id}`. Configs are immutable: a change is a new config.
    ///
    /// Named `SwarmConfig` so that it never shadows the nested `Config` types of other models.
    public struct SwarmConfig: Codable, Sendable, Hashable {
        public var id: String
        public var version: ObjectVersion?
        public var createdAt: String?
        public var updatedAt: String?
        public var spec: ConfigSpec?
        enum CodingKeys: String, CodingKey { case id = "ID", version = "Version", createdAt = "CreatedAt", updatedAt = "UpdatedAt", spec = "Spec" }
    }

    /// `SecretSpec`: the body of `POST /secrets/create`. The engine never returns `data` again.
    public struct SecretSpec: Codable, Sendable, Hashable {
        public var name: String
        public var labels: [String: String]?
        public var data: Data?
        /// A secret store plugin instead of `data`.
        public var driver: Driver?
        public var templating: Driver?
        public init(name: String, labels: [String: String]? = nil, data: Data?, driver: Driver? = nil, templating: Driver? = nil) {
            self.name = name
            self.labels = labels
            self.data = data
            self.driver = driver
            self.templating = templating
        }
        enum CodingKeys: String, CodingKey { case name = "Name", labels = "Labels", data = "Data", driver = "Driver", templating = "Templating" }
    }

    /// `GET /secrets`, `GET /secrets/{id}` (without the data).
    public struct SwarmSecret: Codable, Sendable, Hashable {
        public var id: String
        public var version: ObjectVersion?
        public var createdAt: String?
        public var updatedAt: String?
        public var spec: SecretSpec?
        enum CodingKeys: String, CodingKey { case id = "ID", version = "Version", createdAt = "CreatedAt", updatedAt = "UpdatedAt", spec = "Spec" }
    }
}
