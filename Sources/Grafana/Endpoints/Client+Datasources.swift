import Foundation
import JSONDocument

extension Grafana {
    /// One entry of `GET /api/datasources`.
    public struct DatasourceSummary: Sendable, Decodable, Equatable {
        public var id: Int?
        public var uid: String
        public var name: String
        public var type: String
    }
}

extension Grafana.Client {
    /// Maps to `GET /api/datasources`.
    public func datasources() async throws(Grafana.ClientError) -> [Grafana.DatasourceSummary] {
        try await get("/api/datasources")
    }

    /// Maps to `GET /api/datasources/uid/:uid`; `nil` when Grafana answers 404.
    public func datasource(uid: String) async throws(Grafana.ClientError) -> JSONValue? {
        try await getIfExists("/api/datasources/uid/\(Self.escape(uid))")
    }

    /// Maps to `POST /api/datasources`.
    public func createDatasource(_ datasource: JSONValue) async throws(Grafana.ClientError) {
        try await send(.post, "/api/datasources", json: encode(datasource))
    }

    /// Maps to `PUT /api/datasources/uid/:uid`.
    public func updateDatasource(uid: String, _ datasource: JSONValue) async throws(Grafana.ClientError) {
        try await send(.put, "/api/datasources/uid/\(Self.escape(uid))", json: encode(datasource))
    }
}
