/// Where the parts of the dashboard go for a terminal size.
public struct Layout: Sendable, Equatable {
    /// The smallest terminal the dashboard draws in; smaller ones get a message.
    public static let minimum = Size(width: 60, height: 15)

    public var header: Rect
    public var tabs: Rect
    public var content: Rect
    public var footer: Rect

    public init(size: Size) {
        header = Rect(x: 0, y: 0, width: size.width, height: 1)
        tabs = Rect(x: 0, y: 1, width: size.width, height: 1)
        content = Rect(x: 0, y: 2, width: size.width, height: size.height - 3)
        footer = Rect(x: 0, y: size.height - 1, width: size.width, height: 1)
    }

    public static func fits(_ size: Size) -> Bool { size.width >= minimum.width && size.height >= minimum.height }
}
