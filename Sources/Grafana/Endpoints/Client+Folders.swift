import Foundation

extension Grafana {
    /// A folder as `GET /api/folders` and `GET /api/folders/:uid` return it.
    public struct Folder: Sendable, Decodable, Equatable {
        public var id: Int?
        public var uid: String
        public var title: String
        public var version: Int?

        public init(id: Int? = nil, uid: String, title: String, version: Int? = nil) {
            self.id = id
            self.uid = uid
            self.title = title
            self.version = version
        }
    }
}

extension Grafana.Client {
    /// Maps to `GET /api/folders`.
    public func folders() async throws(Grafana.ClientError) -> [Grafana.Folder] {
        try await get("/api/folders?limit=1000")
    }

    /// Maps to `GET /api/folders/:uid`; `nil` when Grafana answers 404.
    public func folder(uid: String) async throws(Grafana.ClientError) -> Grafana.Folder? {
        try await getIfExists("/api/folders/\(Self.escape(uid))")
    }

    /// Maps to `POST /api/folders`.
    @discardableResult
    public func createFolder(uid: String, title: String) async throws(Grafana.ClientError) -> Grafana.Folder {
        struct Body: Encodable { var uid: String; var title: String }
        let response = try await send(.post, "/api/folders", json: encode(Body(uid: uid, title: title)))
        return try decode(Grafana.Folder.self, from: response, path: "/api/folders")
    }

    /// Maps to `PUT /api/folders/:uid` (rename; `overwrite` so a concurrent edit does not 412).
    public func updateFolder(uid: String, title: String) async throws(Grafana.ClientError) {
        struct Body: Encodable { var title: String; var overwrite: Bool }
        try await send(.put, "/api/folders/\(Self.escape(uid))", json: encode(Body(title: title, overwrite: true)))
    }
}
