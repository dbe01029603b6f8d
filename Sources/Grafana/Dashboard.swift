import Foundation
import JSONDocument

extension Grafana {
    /// A dashboard's JSON model, key order kept (`JSONDocument`).
    public struct DashboardJSON: Sendable, Equatable {
        public var model: JSONDocument

        /// Valid JSON that is not a dashboard.
        public struct ShapeError: Error, Sendable, CustomStringConvertible {
            public var message: String
            public var description: String { message }
        }

        /// Top-level keys Grafana changes on every save; never compared, never exported.
        public static let volatileKeys: Set<String> = ["id", "version", "iteration"]

        /// Parses a dashboard file. Accepts the bare model or Grafana's `{"dashboard": …, "meta": …}`
        /// envelope (what `GET /api/dashboards/uid/:uid` answers).
        public init(data: Data, source: String? = nil) throws {
            var model = try JSONDocument(parsing: data, source: source)
            if let inner = model["dashboard"], inner.kind == .object, model["meta"] != nil { model = inner }
            guard model.kind == .object else {
                throw ShapeError(message: "a dashboard must be a JSON object")
            }
            self.model = model
        }

        public init(model: JSONDocument) {
            self.model = model
        }

        public var uid: String? { model["uid"]?.string }
        public var title: String { model["title"]?.string ?? "(untitled)" }

        /// The model without the given top-level keys (nested keys such as panel ids are kept).
        func removingTopLevel(_ keys: Set<String>) -> JSONDocument {
            var copy = model
            for key in keys where copy[key] != nil { _ = try? copy.remove(at: [.key(key)]) }
            return copy
        }

        /// The file form: no id, version or iteration; 2-space indent; trailing newline.
        public func exported() -> Data {
            removingTopLevel(Self.volatileKeys).serializedData(indent: 2, trailingNewline: true)
        }

        /// Equal as Grafana would store them, ignoring id, version and iteration (top level only)
        /// and key order.
        public func isEquivalent(to other: DashboardJSON) -> Bool {
            removingTopLevel(Self.volatileKeys).isEqual(to: other.removingTopLevel(Self.volatileKeys))
        }

        /// The body of `POST /api/dashboards/db`. `version` is the version Grafana holds (so a
        /// concurrent edit answers 412 version-mismatch instead of being overwritten silently).
        public func saveRequest(folderUid: String?, version: Int?, message: String) -> Data {
            var dashboard = removingTopLevel(["id", "version"])
            if let version { _ = try? dashboard.set(JSONDocument(version), at: [.key("version")]) }
            var members: [(key: String, value: JSONDocument)] = [("dashboard", dashboard)]
            if let folderUid { members.append(("folderUid", JSONDocument(folderUid))) }
            members.append(("overwrite", JSONDocument(false)))
            members.append(("message", JSONDocument(message)))
            return JSONDocument(object: members).serializedData(indent: nil)
        }

        /// Datasource references Grafana resolves itself, never repaired.
        static let builtInDatasources: Set<String> = ["-- Grafana --", "-- Mixed --", "-- Dashboard --", "grafana", "__expr__", "dashboard"]

        /// Paths of every `datasource` member, depth first.
        static func datasourcePaths(_ value: JSONDocument, at path: JSONPath = [], into result: inout [JSONPath]) {
            if let members = value.members {
                for member in members {
                    let child = path + [.key(member.key)]
                    if member.key == "datasource" { result.append(child) }
                    datasourcePaths(member.value, at: child, into: &result)
                }
            } else if let elements = value.elements {
                for (index, element) in elements.enumerated() {
                    datasourcePaths(element, at: path + [.index(index)], into: &result)
                }
            }
        }

        /// Points every Prometheus datasource reference that names no existing datasource (a
        /// dangling uid, an export's `${DS_PROMETHEUS}` input, an unknown datasource name) at
        /// `target`. References to template variables (`$ds`) and to other datasource types are
        /// left alone. Returns what was repaired: each dangling reference with its count.
        public mutating func repairDatasources(existingUIDs: Set<String>, existingNames: Set<String>, target: String) -> [DatasourceRepair] {
            var variables: Set<String> = []
            for variable in model["templating"]?["list"]?.elements ?? [] where variable["type"]?.string == "datasource" {
                if let name = variable["name"]?.string { variables.insert(name) }
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
            var paths: [JSONPath] = []
            Self.datasourcePaths(model, into: &paths)
            var removeInputs = false
            let replacement = JSONDocument(object: [("type", JSONDocument("prometheus")), ("uid", JSONDocument(target))])
            for path in paths {
                guard let reference = model[path: path] else { continue }
                switch reference.kind {
                case .object:
                    guard let uid = reference["uid"]?.string else { continue }
                    let type = reference["type"]?.string
                    guard type == nil || type == "prometheus" else { continue }
                    if existingUIDs.contains(uid) || Self.builtInDatasources.contains(uid) || isVariable(uid) { continue }
                    if uid.hasPrefix("${DS_") || uid.hasPrefix("$DS_") { removeInputs = true }
                    note(uid)
                    _ = try? model.set(JSONDocument(target), at: path + [.key("uid")])
                    if type == nil { _ = try? model.set(JSONDocument("prometheus"), at: path + [.key("type")]) }
                case .string:
                    let name = reference.string ?? ""
                    if existingNames.contains(name) || existingUIDs.contains(name) || Self.builtInDatasources.contains(name) || isVariable(name) { continue }
                    if name.hasPrefix("${DS_") || name.hasPrefix("$DS_") { removeInputs = true }
                    note(name)
                    _ = try? model.set(replacement, at: path)
                default:
                    continue
                }
            }
            if removeInputs, model["__inputs"] != nil { _ = try? model.remove(at: [.key("__inputs")]) }
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
            let document = try JSONDocument(parsing: body, source: path)
            guard let model = document["dashboard"], model.kind == .object else {
                throw Grafana.DashboardJSON.ShapeError(message: "no \"dashboard\" object")
            }
            return Grafana.StoredDashboard(dashboard: Grafana.DashboardJSON(model: model), meta: envelope.meta)
        } catch {
            throw .decoding(path: path, reason: String(describing: error), body: String(decoding: body.prefix(512), as: UTF8.self))
        }
    }
}
