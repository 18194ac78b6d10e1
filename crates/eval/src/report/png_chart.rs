//! The per-layer report's bar chart, drawn with the shared rasteriser of `vgforge-train`.

use vgforge_train::plot::Canvas;

use super::LayerReport;

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
    let mut cv = Canvas::new(w, h, [255, 255, 255]);
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
    cv.encode()
}
