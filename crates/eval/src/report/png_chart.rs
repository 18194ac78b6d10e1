//! A small bar-chart rasteriser (with a built-in 3x5 pixel font) for the per-layer report.

use super::LayerReport;

/// 3x5 glyphs: five rows of three bits (octal digit per row, high bit = left pixel).
fn glyph(c: char) -> [u8; 5] {
    let rows = match c.to_ascii_lowercase() {
        '0' => "75557",
        '1' => "26227",
        '2' => "71747",
        '3' => "71717",
        '4' => "55711",
        '5' => "74717",
        '6' => "74757",
        '7' => "71111",
        '8' => "75757",
        '9' => "75717",
        'a' => "25755",
        'b' => "65656",
        'c' => "34443",
        'd' => "65556",
        'e' => "74647",
        'f' => "74644",
        'g' => "34553",
        'h' => "55755",
        'i' => "72227",
        'j' => "11152",
        'k' => "55655",
        'l' => "44447",
        'm' => "57755",
        'n' => "65555",
        'o' => "25552",
        'p' => "65644",
        'q' => "25563",
        'r' => "65655",
        's' => "34216",
        't' => "72222",
        'u' => "55557",
        'v' => "55552",
        'w' => "55775",
        'x' => "55255",
        'y' => "55222",
        'z' => "71247",
        '+' => "02720",
        '-' => "00700",
        '_' => "00007",
        '.' => "00002",
        '(' => "24442",
        ')' => "21112",
        ':' => "02020",
        _ => "00000",
    };
    let mut g = [0u8; 5];
    for (i, b) in rows.bytes().enumerate() {
        g[i] = b - b'0';
    }
    g
}

struct Canvas {
    w: usize,
    h: usize,
    px: Vec<u8>,
}

impl Canvas {
    fn new(w: usize, h: usize) -> Canvas {
        Canvas { w, h, px: vec![255; w * h * 3] }
    }

    fn rect(&mut self, x0: usize, y0: usize, x1: usize, y1: usize, c: [u8; 3]) {
        for y in y0.min(self.h)..y1.min(self.h) {
            for x in x0.min(self.w)..x1.min(self.w) {
                let i = (y * self.w + x) * 3;
                self.px[i..i + 3].copy_from_slice(&c);
            }
        }
    }

    /// Text at scale 2 (each glyph 6x10 pixels plus 2 pixels of spacing).
    fn text(&mut self, x: usize, y: usize, s: &str, c: [u8; 3]) {
        for (k, ch) in s.chars().enumerate() {
            let g = glyph(ch);
            for (row, bits) in g.iter().enumerate() {
                for col in 0..3 {
                    if bits & (4 >> col) != 0 {
                        let px = x + k * 8 + col * 2;
                        let py = y + row * 2;
                        self.rect(px, py, px + 2, py + 2, c);
                    }
                }
            }
        }
    }
}

const FQ: [u8; 3] = [66, 133, 244];
const INT: [u8; 3] = [234, 134, 36];
const GRID: [u8; 3] = [220, 220, 220];
const INK: [u8; 3] = [40, 40, 40];

/// Render the chart as PNG bytes.
pub(crate) fn render(r: &LayerReport) -> Result<Vec<u8>, String> {
    let col = 90;
    let (left, top, plot_h) = (50usize, 50usize, 240usize);
    let w = left + col * r.rows.len().max(1) + 20;
    let h = top + plot_h + 40;
    let finite = |v: f64| if v.is_finite() { v } else { 0.0 };
    let max = r
        .rows
        .iter()
        .flat_map(|row| [finite(row.fake_quant_sqnr_db), finite(row.int_sqnr_db)])
        .fold(10.0f64, f64::max);
    let top_db = (max / 10.0).ceil() * 10.0;
    let mut cv = Canvas::new(w, h);
    cv.text(left, 8, "per-layer sqnr vs fp32 (db)", INK);
    cv.rect(left, 28, left + 10, 38, FQ);
    cv.text(left + 14, 28, "fake-quant", INK);
    cv.rect(left + 110, 28, left + 120, 38, INT);
    cv.text(left + 124, 28, "integer", INK);
    let y_of = |db: f64| top + plot_h - ((db.clamp(0.0, top_db) / top_db) * plot_h as f64) as usize;
    let mut g = 0.0;
    while g <= top_db {
        let y = y_of(g);
        cv.rect(left, y, w - 10, y + 1, GRID);
        cv.text(4, y.saturating_sub(5), &format!("{g:.0}"), INK);
        g += 10.0;
    }
    for (i, row) in r.rows.iter().enumerate() {
        let x = left + i * col + 10;
        // An infinite SQNR (bit-exact) is drawn full height.
        let bar = |v: f64| if v.is_finite() { v } else { top_db };
        cv.rect(x, y_of(bar(row.fake_quant_sqnr_db)), x + 30, top + plot_h, FQ);
        cv.rect(x + 32, y_of(bar(row.int_sqnr_db)), x + 62, top + plot_h, INT);
        let label: String = row.layer.chars().take(10).collect();
        cv.text(x - 6, top + plot_h + 8, &label, INK);
        cv.text(x, top + plot_h + 22, &format!("{:.1}", finite(row.int_sqnr_db)), INT);
    }
    cv.rect(left, top + plot_h, w - 10, top + plot_h + 1, INK);
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w as u32, h as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().map_err(|e| e.to_string())?;
        wr.write_image_data(&cv.px).map_err(|e| e.to_string())?;
    }
    Ok(out)
}
