import Foundation

extension Grafana {
    /// One hit of `GET /api/search`.
    public struct SearchHit: Sendable, Decodable, Equatable {
        public var id: Int?
        public var uid: String
        public var title: String
        public var type: String?
        public var folderUid: String?
        public var folderTitle: String?
    }

    /// The answer to `POST /api/dashboards/db`.
    public struct SaveDashboardResult: Sendable, Decodable, Equatable {
        public var id: Int?
        public var uid: String?
        public var url: String?
        public var status: String?
        public var version: Int?
        public var slug: String?
    }
}

extension Grafana.Client {
    /// Maps to `GET /api/search?type=dash-db`: every dashboard the credentials can see.
    public func searchDashboards() async throws(Grafana.ClientError) -> [Grafana.SearchHit] {
        try await get("/api/search?type=dash-db&limit=5000")
    }

    /// Maps to `GET /api/dashboards/uid/:uid`: the raw answer `{"dashboard": …, "meta": …}`,
    /// or `nil` when Grafana answers 404. Raw bytes, so key order survives (see `JSONDocument`).
    public func dashboardRaw(uid: String) async throws(Grafana.ClientError) -> Data? {
        try await getRaw("/api/dashboards/uid/\(Self.escape(uid))")
    }

    /// Maps to `POST /api/dashboards/db`. `body` is the full request
    /// (`{"dashboard": …, "folderUid": …, "overwrite": …, "message": …}`), already serialised.
    public func saveDashboard(body: Data) async throws(Grafana.ClientError) -> Grafana.SaveDashboardResult {
        let response = try await send(.post, "/api/dashboards/db", json: body)
        return try decode(Grafana.SaveDashboardResult.self, from: response, path: "/api/dashboards/db")
    }

    /// Maps to `DELETE /api/dashboards/uid/:uid`.
    public func deleteDashboard(uid: String) async throws(Grafana.ClientError) {
        try await send(.delete, "/api/dashboards/uid/\(Self.escape(uid))")
    }
}
