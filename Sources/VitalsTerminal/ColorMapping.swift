import VitalsUI

/// Maps theme colours onto what the terminal has: 24-bit colour, 256 colours, or the 8 (16) ANSI
/// ones.
enum ColorMapping {
    /// Colours of a direct-colour terminal (ncurses' `RGB`): a colour's number is 0xRRGGBB.
    static let direct = 1 << 24

    /// The ncurses colour number for `color`, -1 for the terminal's default.
    static func index(_ color: Color, colors: Int) -> Int32 {
        switch color {
        case .default:
            return -1
        case .indexed(let value):
            if colors >= direct && value >= 16 {
                let (r, g, b) = rgb(ofIndexed: value)
                return packed(r, g, b)
            }
            if Int(value) < colors { return Int32(value) }
            return Int32(nearestANSI(rgb(ofIndexed: value), colors: colors))
        case .rgb(let r, let g, let b):
            if colors >= direct { return packed(Int(r), Int(g), Int(b)) }
            if colors >= 256 { return Int32(nearest256(r, g, b)) }
            return Int32(nearestANSI((Int(r), Int(g), Int(b)), colors: colors))
        }
    }

    /// The xterm-256 index closest to an RGB colour: the 6×6×6 cube or the grey ramp.
    static func nearest256(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int {
        let levels = [0, 95, 135, 175, 215, 255]
        func cubeIndex(_ v: UInt8) -> Int { levels.enumerated().min { abs($0.element - Int(v)) < abs($1.element - Int(v)) }!.offset }
        let (ri, gi, bi) = (cubeIndex(r), cubeIndex(g), cubeIndex(b))
        let cube = 16 + 36 * ri + 6 * gi + bi
        let cubeDistance = distance((levels[ri], levels[gi], levels[bi]), (Int(r), Int(g), Int(b)))
        let average = (Int(r) + Int(g) + Int(b)) / 3
        let greyStep = max(0, min(23, (average - 8 + 5) / 10))
        let grey = 8 + greyStep * 10
        let greyDistance = distance((grey, grey, grey), (Int(r), Int(g), Int(b)))
        return greyDistance < cubeDistance ? 232 + greyStep : cube
    }

    static let ansi: [(Int, Int, Int)] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
    ]

    static func nearestANSI(_ rgb: (Int, Int, Int), colors: Int) -> Int {
        // A grey never becomes a hue: among 8 colours the nearest to mid-grey is yellow, the
        // colour of warnings. Greys go to white (light grey) or black; with 16, bright black too.
        let (r, g, b) = rgb
        if max(r, g, b) - min(r, g, b) < 40 {
            let level = (r + g + b) / 3
            if colors >= 16, (96...176).contains(level) { return 8 }
            return level >= 64 ? 7 : 0
        }
        let candidates = ansi.prefix(min(16, max(8, colors)))
        return candidates.enumerated().min { distance($0.element, rgb) < distance($1.element, rgb) }!.offset
    }

    /// 0xRRGGBB; numbers below 8 are the ANSI colours on a direct-colour terminal, so a near
    /// black is nudged to 8 (#000008, the same to the eye).
    static func packed(_ r: Int, _ g: Int, _ b: Int) -> Int32 {
        max(8, Int32(r << 16 | g << 8 | b))
    }

    static func rgb(ofIndexed index: UInt8) -> (Int, Int, Int) {
        let i = Int(index)
        if i < 16 { return ansi[i] }
        if i >= 232 { let v = 8 + (i - 232) * 10; return (v, v, v) }
        let levels = [0, 95, 135, 175, 215, 255]
        let c = i - 16
        return (levels[c / 36], levels[(c / 6) % 6], levels[c % 6])
    }

    static func distance(_ a: (Int, Int, Int), _ b: (Int, Int, Int)) -> Int {
        let (dr, dg, db) = (a.0 - b.0, a.1 - b.1, a.2 - b.2)
        return dr * dr + dg * dg + db * db
    }
}
