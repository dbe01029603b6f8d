import Crypto
import Foundation
import JSONDocument

/// Grafana's datasource, as the HTTP API shows it (`GET /api/datasources/uid/:uid`).
/// Secrets (`secureJsonData`, passwords) are stored but never answered: only `secureJsonFields`.
struct Datasource: Sendable, Equatable, Codable {
    var id: Int
    var uid: String
    var orgId: Int = 1
    var name: String
    var type: String
    var access: String = "proxy"
    var url: String = ""
    var user: String = ""
    var database: String = ""
    var basicAuth: Bool = false
    var basicAuthUser: String = ""
    var withCredentials: Bool = false
    var isDefault: Bool = false
    var jsonData: [String: JSONValue] = [:]
    var secureJsonData: [String: String] = [:]
    var version: Int = 1
    var readOnly: Bool = false

    var typeName: String {
        switch type {
        case "prometheus": "Prometheus"
        case "loki": "Loki"
        case "graphite": "Graphite"
        case "influxdb": "InfluxDB"
        case "elasticsearch": "Elasticsearch"
        default: type
        }
    }

    var typeLogoUrl: String { "public/app/plugins/datasource/\(type)/img/\(type)_logo.svg" }

    /// The full form (`GET /api/datasources/uid/:uid`, `datasource` in POST/PUT answers).
    var full: JSONValue {
        .object([
            "id": .int(id), "uid": .string(uid), "orgId": .int(orgId), "name": .string(name), "type": .string(type),
            "typeLogoUrl": .string(typeLogoUrl), "access": .string(access), "url": .string(url),
            "user": .string(user), "database": .string(database), "basicAuth": .bool(basicAuth),
            "basicAuthUser": .string(basicAuthUser), "withCredentials": .bool(withCredentials),
            "isDefault": .bool(isDefault), "jsonData": .object(jsonData),
            "secureJsonFields": .object(secureJsonData.mapValues { _ in .bool(true) }),
            "version": .int(version), "readOnly": .bool(readOnly), "apiVersion": .string(""),
        ])
    }

    /// The list form (`GET /api/datasources`).
    var listItem: JSONValue {
        .object([
            "id": .int(id), "uid": .string(uid), "orgId": .int(orgId), "name": .string(name), "type": .string(type),
            "typeName": .string(typeName), "typeLogoUrl": .string(typeLogoUrl), "access": .string(access),
            "url": .string(url), "user": .string(user), "database": .string(database), "basicAuth": .bool(basicAuth),
            "isDefault": .bool(isDefault), "jsonData": .object(jsonData), "readOnly": .bool(readOnly),
        ])
    }
}

struct Folder: Sendable, Equatable, Codable {
    var id: Int
    var uid: String
    var title: String
    var version: Int
    var created: Date
    var updated: Date

    var url: String { "/dashboards/f/\(uid)/\(slugify(title))" }

    var dto: JSONValue {
        .object([
            "id": .int(id), "uid": .string(uid), "orgId": .int(1), "title": .string(title), "url": .string(url),
            "hasAcl": .bool(false), "canSave": .bool(true), "canEdit": .bool(true), "canAdmin": .bool(true),
            "canDelete": .bool(true), "createdBy": .string("admin"), "created": .string(isoDate(created)),
            "updatedBy": .string("admin"), "updated": .string(isoDate(updated)), "version": .int(version),
        ])
    }
}

/// Where a file-provisioned dashboard came from.
struct DashboardProvisioning: Sendable, Equatable, Codable {
    var provider: String
    /// The file, relative to the provider's path (Grafana's `provisionedExternalId`).
    var externalId: String
    var allowUiUpdates: Bool
    /// SHA-256 of the file as last saved: an unchanged file is not saved again (file_reader.go).
    var checksum: String = ""
}

struct Dashboard: Sendable, Equatable {
    var id: Int
    var uid: String
    var title: String
    var tags: [String]
    var folderUid: String?
    var version: Int
    /// The dashboard model as posted (key order kept), with `id`, `uid` and `version` set by the server.
    var model: JSONDocument
    var created: Date
    var updated: Date
    var provisioning: DashboardProvisioning?

    var slug: String { slugify(title) }
    var url: String { "/d/\(uid)/\(slug)" }
}

/// Kept in the data directory with the model as compact JSON text (key order kept).
extension Dashboard: Codable {
    private enum CodingKeys: String, CodingKey {
        case id, uid, title, tags, folderUid, version, model, created, updated, provisioning
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(Int.self, forKey: .id)
        uid = try container.decode(String.self, forKey: .uid)
        title = try container.decode(String.self, forKey: .title)
        tags = try container.decode([String].self, forKey: .tags)
        folderUid = try container.decodeIfPresent(String.self, forKey: .folderUid)
        version = try container.decode(Int.self, forKey: .version)
        model = try JSONDocument(parsing: try container.decode(String.self, forKey: .model), source: "dashboard \(uid)")
        created = try container.decode(Date.self, forKey: .created)
        updated = try container.decode(Date.self, forKey: .updated)
        provisioning = try container.decodeIfPresent(DashboardProvisioning.self, forKey: .provisioning)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(uid, forKey: .uid)
        try container.encode(title, forKey: .title)
        try container.encode(tags, forKey: .tags)
        try container.encodeIfPresent(folderUid, forKey: .folderUid)
        try container.encode(version, forKey: .version)
        try container.encode(model.serialized(indent: nil), forKey: .model)
        try container.encode(created, forKey: .created)
        try container.encode(updated, forKey: .updated)
        try container.encodeIfPresent(provisioning, forKey: .provisioning)
    }
}

/// A Grafana-managed alert rule as the provisioning API shows it (`ProvisionedAlertRule`).
struct AlertRule: Sendable, Equatable, Codable {
    var id: Int
    var uid: String
    var orgID: Int = 1
    var folderUID: String
    var ruleGroup: String
    var title: String
    var condition: String
    var data: [JSONValue]
    var updated: Date
    var noDataState: String
    var execErrState: String
    var forDuration: String
    var annotations: [String: String]
    var labels: [String: String]
    var isPaused: Bool
    /// "api", "file" or "" (X-Disable-Provenance).
    var provenance: String
    var notificationSettings: JSONValue?

    var json: JSONValue {
        var object: [String: JSONValue] = [
            "id": .int(id), "uid": .string(uid), "orgID": .int(orgID), "folderUID": .string(folderUID),
            "ruleGroup": .string(ruleGroup), "title": .string(title), "condition": .string(condition),
            "data": .array(data), "updated": .string(isoDate(updated)), "noDataState": .string(noDataState),
            "execErrState": .string(execErrState), "for": .string(forDuration),
            "annotations": .object(annotations.mapValues { .string($0) }),
            "labels": .object(labels.mapValues { .string($0) }), "provenance": .string(provenance),
            "isPaused": .bool(isPaused),
        ]
        if let notificationSettings { object["notification_settings"] = notificationSettings }
        return .object(object)
    }
}

struct RuleGroupKey: Hashable, Sendable, Codable {
    var folderUID: String
    var title: String
}

struct ServiceAccount: Sendable, Equatable, Codable {
    var id: Int
    var name: String
    var login: String
    var role: String
    var isDisabled: Bool
    var tokens: [ServiceAccountToken]
}

struct ServiceAccountToken: Sendable, Equatable, Codable {
    var id: Int
    var name: String
    var key: String
    var expires: Date?
}

// MARK: - Helpers shared by the models

/// Grafana's slug for titles: lower case, runs of anything but letters and digits become one '-'.
func slugify(_ title: String) -> String {
    var slug = ""
    var pendingDash = false
    for scalar in title.lowercased().unicodeScalars {
        if CharacterSet.alphanumerics.contains(scalar) {
            if pendingDash && !slug.isEmpty { slug.append("-") }
            pendingDash = false
            slug.unicodeScalars.append(scalar)
        } else {
            pendingDash = true
        }
    }
    return slug
}

func isoDate(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.string(from: date)
}

/// A short uid like Grafana's generated ones: a letter, then 13 lower-case letters or digits.
func generateUID() -> String {
    let letters = Array("abcdefghijklmnopqrstuvwxyz")
    let alphanumerics = Array("abcdefghijklmnopqrstuvwxyz0123456789")
    var uid = String(letters.randomElement()!)
    for _ in 0..<13 { uid.append(alphanumerics.randomElement()!) }
    return uid
}

/// Hex SHA-256 of a file's bytes (dashboard files' checksums).
func fileChecksum(_ data: Data) -> String {
    SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
}

/// Grafana's rule for uids: at most 40 characters of letters, digits, '-' and '_'.
func uidProblem(_ uid: String) -> String? {
    if uid.count > 40 { return "uid too long, max 40 characters" }
    let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
    if !uid.unicodeScalars.allSatisfy({ allowed.contains($0) }) { return "uid contains illegal characters" }
    return nil
}

/// The uid Grafana's provisioning gives a datasource that has none: "P" and the first 8 bytes of
/// the SHA-256 of its name in upper-case hex (so a datasource named Prometheus is always
/// PBFA97CFB590B2093, the uid seen in countless exported dashboards).
func provisionedDatasourceUID(name: String) -> String {
    let digest = SHA256.hash(data: Data(name.utf8))
    return "P" + digest.prefix(8).map { String(format: "%02X", $0) }.joined()
}
