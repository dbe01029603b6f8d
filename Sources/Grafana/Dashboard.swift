import Foundation

extension Grafana {
    /// A dashboard's JSON model, key order kept.
    public struct DashboardJSON: Sendable, Equatable {
        public var model: OrderedJSON

        /// Top-level keys Grafana changes on every save; never compared, never exported.
        public static let volatileKeys: Set<String> = ["id", "version", "iteration"]

        /// Parses a dashboard file. Accepts the bare model or Grafana's `{"dashboard": …, "meta": …}`
        /// envelope (what `GET /api/dashboards/uid/:uid` answers).
        public init(data: Data) throws {
            var model = try OrderedJSON(data: data)
            if case .object = model["dashboard"], model["meta"] != nil { model = model["dashboard"]! }
            guard case .object = model else {
                throw OrderedJSON.ParseError(line: 1, column: 1, message: "a dashboard must be a JSON object")
            }
            self.model = model
        }

        public init(model: OrderedJSON) {
            self.model = model
        }

        public var uid: String? { model["uid"]?.stringValue }
        public var title: String { model["title"]?.stringValue ?? "(untitled)" }

        /// The file form: no id, version or iteration; 2-space indent; trailing newline.
        public func exported() -> Data {
            model.removing(Self.volatileKeys).serialized()
        }

        /// Equal as Grafana would store them, ignoring id, version and iteration.
        public func isEquivalent(to other: DashboardJSON) -> Bool {
            model.isEquivalent(to: other.model, ignoringTopLevel: Self.volatileKeys)
        }

        /// The body of `POST /api/dashboards/db`. `version` is the version Grafana holds (so a
        /// concurrent edit answers 412 version-mismatch instead of being overwritten silently).
        public func saveRequest(folderUid: String?, version: Int?, message: String) -> Data {
            var dashboard = model.removing(["id", "version"])
            if let version { dashboard["version"] = .int(Int64(version)) }
            var members: [OrderedJSON.Member] = [OrderedJSON.Member("dashboard", dashboard)]
            if let folderUid { members.append(OrderedJSON.Member("folderUid", .string(folderUid))) }
            members.append(OrderedJSON.Member("overwrite", .bool(false)))
            members.append(OrderedJSON.Member("message", .string(message)))
            return OrderedJSON.object(members).compact()
        }

        /// Datasource references Grafana resolves itself, never repaired.
        static let builtInDatasources: Set<String> = ["-- Grafana --", "-- Mixed --", "-- Dashboard --", "grafana", "__expr__", "dashboard"]

        /// Points every Prometheus datasource reference that names no existing datasource (a
        /// dangling uid, an export's `${DS_PROMETHEUS}` input, an unknown datasource name) at
        /// `target`. References to template variables (`$ds`) and to other datasource types are
        /// left alone. Returns what was repaired: each dangling reference with its count.
        public mutating func repairDatasources(existingUIDs: Set<String>, existingNames: Set<String>, target: String) -> [DatasourceRepair] {
            var variables: Set<String> = []
            if case .array(let list)? = model["templating"]?["list"] {
                for variable in list where variable["type"]?.stringValue == "datasource" {
                    if let name = variable["name"]?.stringValue { variables.insert(name) }
                }
            }
            func isVariable(_ reference: String) -> Bool {
                guard reference.hasPrefix("$") else { return false }
                let name = reference.dropFirst().trimmingCharacters(in: CharacterSet(charactersIn: "{}"))
                return variables.contains(name) || name.hasPrefix("__")
            }
            var counts: [String: Int] = [:]
            var order: [String] = []
            func note(_ reference: String) {
                if counts[reference] == nil { order.append(reference) }
                counts[reference, default: 0] += 1
            }
            var removeInputs = false
            model.transform { value in
                guard case .object(var members) = value else { return }
                for index in members.indices where members[index].key == "datasource" {
                    switch members[index].value {
                    case .object:
                        var reference = members[index].value
                        guard let uid = reference["uid"]?.stringValue else { continue }
                        let type = reference["type"]?.stringValue
                        guard type == nil || type == "prometheus" else { continue }
                        if existingUIDs.contains(uid) || Self.builtInDatasources.contains(uid) || isVariable(uid) { continue }
                        if uid.hasPrefix("${DS_") || uid.hasPrefix("$DS_") { removeInputs = true }
                        note(uid)
                        reference["uid"] = .string(target)
                        if type == nil { reference["type"] = .string("prometheus") }
                        members[index].value = reference
                    case .string(let reference):
                        if existingNames.contains(reference) || existingUIDs.contains(reference) || Self.builtInDatasources.contains(reference) || isVariable(reference) { continue }
                        if reference.hasPrefix("${DS_") || reference.hasPrefix("$DS_") { removeInputs = true }
                        note(reference)
                        members[index].value = .object([OrderedJSON.Member("type", .string("prometheus")), OrderedJSON.Member("uid", .string(target))])
                    default:
                        continue
                    }
                }
                value = .object(members)
            }
            if removeInputs { model["__inputs"] = nil }
            return order.map { DatasourceRepair(reference: $0, count: counts[$0]!, target: target) }
        }
    }

    /// One dangling datasource reference found in a dashboard and pointed at `target`.
    public struct DatasourceRepair: Sendable, Equatable, Codable, CustomStringConvertible {
        public var reference: String
        public var count: Int
        public var target: String
        public var description: String { "datasource \"\(reference)\" does not exist (\(count) reference\(count == 1 ? "" : "s")); repaired to \"\(target)\"" }
    }

    /// The `meta` part of `GET /api/dashboards/uid/:uid`.
    public struct DashboardMeta: Sendable, Decodable, Equatable {
        public var slug: String?
        public var version: Int?
        public var folderUid: String?
        public var folderTitle: String?
        public var provisioned: Bool?
        public var provisionedExternalId: String?
    }

    /// A dashboard as Grafana holds it.
    public struct StoredDashboard: Sendable {
        public var dashboard: DashboardJSON
        public var meta: DashboardMeta
    }
}

extension Grafana.Client {
    /// Maps to `GET /api/dashboards/uid/:uid`, parsed with key order kept; `nil` on 404.
    public func dashboard(uid: String) async throws(Grafana.ClientError) -> Grafana.StoredDashboard? {
        let path = "/api/dashboards/uid/\(Self.escape(uid))"
        guard let body = try await dashboardRaw(uid: uid) else { return nil }
        struct Envelope: Decodable { var meta: Grafana.DashboardMeta }
        do {
            let envelope = try JSONDecoder().decode(Envelope.self, from: body)
            let tree = try Grafana.OrderedJSON(data: body)
            guard let model = tree["dashboard"], case .object = model else {
                throw Grafana.OrderedJSON.ParseError(line: 1, column: 1, message: "no \"dashboard\" object")
            }
            return Grafana.StoredDashboard(dashboard: Grafana.DashboardJSON(model: model), meta: envelope.meta)
        } catch {
            throw .decoding(path: path, reason: String(describing: error), body: String(decoding: body.prefix(512), as: UTF8.self))
        }
    }
}
