"""Pictures: photo-like images (numpy) and charts and diagrams (Pillow drawing)."""
import math

import numpy as np
from PIL import Image

from .blocks import Block
from .fonts import line_metrics, load_font, text_width

PALETTES = (
    [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75)],
    [(0, 63, 92), (88, 80, 141), (188, 80, 144), (255, 99, 97), (255, 166, 0), (55, 140, 80)],
    [(40, 40, 40), (110, 110, 110), (160, 160, 160), (75, 75, 75), (190, 190, 190), (20, 20, 20)],
    [(27, 94, 32), (76, 140, 74), (129, 178, 120), (200, 120, 40), (150, 60, 30), (90, 60, 40)],
)
PICTURE_KINDS = ("photo", "photo", "bar", "line", "scatter", "pie", "diagram")
PHOTO_STYLES = ("blobs", "landscape", "texture", "object")


def _smooth_noise(nrng, h, w, cells, channels):
    """Random values on a coarse `cells` grid, upsampled smoothly to (h, w, channels) in [0, 1]."""
    gh = max(2, int(cells * h / max(h, w)) + 1)
    gw = max(2, int(cells * w / max(h, w)) + 1)
    grid = (nrng.random((gh, gw, channels)) * 255).astype(np.uint8)
    img = Image.fromarray(grid if channels == 3 else grid[:, :, 0]).resize((w, h), Image.Resampling.BICUBIC)
    arr = np.asarray(img, dtype=np.float32) / 255.0
    return arr if channels == 3 else arr[:, :, None]


def _photo_blobs(nrng, h, w):
    base = _smooth_noise(nrng, h, w, nrng.integers(2, 5), 3)
    low = np.array(nrng.uniform(40, 120, 3), dtype=np.float32)
    high = np.array(nrng.uniform(150, 225, 3), dtype=np.float32)
    img = low + base * (high - low)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    for _ in range(nrng.integers(2, 7)):
        cy, cx = nrng.uniform(0, h), nrng.uniform(0, w)
        r = nrng.uniform(0.08, 0.35) * max(h, w)
        weight = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))[:, :, None]
        img = img * (1 - weight) + np.array(nrng.uniform(30, 220, 3), dtype=np.float32) * weight
    return img


def _photo_landscape(nrng, h, w):
    yy = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    sky_top = np.array(nrng.uniform([60, 100, 160], [120, 160, 220]), dtype=np.float32)
    sky_low = np.array(nrng.uniform([170, 180, 190], [215, 215, 225]), dtype=np.float32)
    img = np.broadcast_to(sky_top + (sky_low - sky_top) * yy, (h, w, 3)).copy()
    if nrng.random() < 0.5:
        cy, cx, r = nrng.uniform(0.1, 0.35) * h, nrng.uniform(0.1, 0.9) * w, nrng.uniform(0.04, 0.09) * w
        y, x = np.ogrid[0:h, 0:w]
        img[(y - cy) ** 2 + (x - cx) ** 2 < r * r] = nrng.uniform([215, 200, 120], [225, 220, 170])
    rows = np.arange(h)[:, None]
    for layer in range(nrng.integers(2, 4)):
        ridge = np.cumsum(nrng.normal(0, 1.0, w)) * h * 0.01
        k = min(9, w)
        ridge = np.convolve(ridge, np.ones(k) / k, mode="same")
        level = h * (0.35 + 0.18 * layer) + ridge - ridge.mean()
        color = np.array(nrng.uniform([30, 60, 30], [110, 130, 90]), dtype=np.float32) * (1 - 0.2 * layer)
        img[rows > level[None, :]] = color
    return img


def _photo_texture(nrng, h, w):
    tex = sum(_smooth_noise(nrng, h, w, cells, 1) * weight
              for cells, weight in ((3, 0.5), (9, 0.3), (27, 0.2)))
    tint = np.array(nrng.uniform(0.6, 1.0, 3), dtype=np.float32)
    return (30 + tex * 190) * tint


def _photo_object(nrng, h, w):
    top = np.array(nrng.uniform(150, 220, 3), dtype=np.float32)
    img = np.broadcast_to(top * np.linspace(1.0, 0.7, h, dtype=np.float32)[:, None, None], (h, w, 3)).copy()
    y, x = np.ogrid[0:h, 0:w]
    cy, cx = h * nrng.uniform(0.4, 0.6), w * nrng.uniform(0.35, 0.65)
    ry, rx = h * nrng.uniform(0.18, 0.32), w * nrng.uniform(0.15, 0.3)
    shadow = ((y - cy - ry * 0.9) / (ry * 0.25)) ** 2 + ((x - cx) / (rx * 1.1)) ** 2 < 1
    img[shadow] *= 0.6
    d = ((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2
    inside = d < 1
    color = np.array(nrng.uniform(40, 200, 3), dtype=np.float32)
    shade = (1.15 - 0.6 * np.sqrt(np.clip(d, 0, 1)))[:, :, None]
    img = np.where(inside[:, :, None], color * shade, img)
    return img


def photo(nrng, w, h):
    """A photo-like RGB image of size (w, h) whose values stay in [20, 225] (never paper-white)."""
    style = PHOTO_STYLES[nrng.integers(len(PHOTO_STYLES))]
    img = {"blobs": _photo_blobs, "landscape": _photo_landscape, "texture": _photo_texture,
           "object": _photo_object}[style](nrng, h, w)
    img = img + nrng.integers(-6, 7, size=(h, w, 1))
    return Image.fromarray(np.clip(img, 20, 225).astype(np.uint8))


def _nice_ticks(vmax, n=5):
    step = vmax / n
    mag = 10 ** math.floor(math.log10(step))
    step = min((s * mag for s in (1, 2, 2.5, 5, 10) if s * mag >= step), default=10 * mag)
    ticks = [i * step for i in range(int(vmax / step) + 2)]
    return ticks, step


def _tick_label(v, step):
    return f"{v:.0f}" if step >= 1 else f"{v:.1f}" if step >= 0.1 else f"{v:.2f}"


class Picture(Block):
    """A figure of `width` x `height` pixels: a photo, a chart (bar, line, scatter, pie) or a diagram."""

    def __init__(self, rng, nrng, text, width, height, scale, kind=None, color=(0, 0, 0)):
        self.rng, self.nrng, self.text = rng, nrng, text
        self.width, self.height = int(width), int(height)
        self.kind = kind or rng.choice(PICTURE_KINDS)
        if min(self.width, self.height) < 40:
            self.kind = "photo"
        self.scale = scale
        self.color = color
        self.palette = rng.choice(PALETTES)
        self.font = load_font(rng.choice(("DejaVuSans.ttf", "DejaVuSerif.ttf", "STIXGeneral.ttf")),
                              max(5, round(rng.uniform(6.5, 8.5) * scale)))

    def draw(self, canvas, x, y):
        x0, y0, x1, y1 = x, y, x + self.width, y + self.height
        if self.kind == "photo":
            canvas.image.paste(photo(self.nrng, self.width, self.height), (x0, y0))
            if self.rng.random() < 0.3:
                canvas.draw.rectangle((x0, y0, x1 - 1, y1 - 1), outline=self.color)
        elif self.kind == "pie":
            self._pie(canvas, x0, y0, x1, y1)
        elif self.kind == "diagram":
            self._diagram(canvas, x0, y0, x1, y1)
        else:
            self._xy_chart(canvas, x0, y0, x1, y1)
        canvas.annotate("Picture", (x0, y0, x1, y1))

    def _xy_chart(self, canvas, x0, y0, x1, y1):
        rng, draw, font = self.rng, canvas.draw, self.font
        asc, desc = line_metrics(font)
        vmax = rng.choice((1.0, 10.0, 50.0, 100.0, 1000.0)) * rng.uniform(0.5, 1.0)
        ticks, step = _nice_ticks(vmax)
        labels = [_tick_label(t, step) for t in ticks]
        tick_len = max(2, round(3 * self.scale))
        left = x0 + max(text_width(font, s) for s in labels) + tick_len + 3
        right = x1 - 2
        series = rng.randint(1, 3)
        names = [self.text.noun().capitalize() for _ in range(series)]
        legend_w = max(text_width(font, n) for n in names) + asc + 8
        legend_outside = series > 1 and right - left - legend_w > 0.6 * (x1 - x0)
        if legend_outside:
            right -= legend_w
        top = y0 + asc // 2 + 1
        bottom = y1 - (asc + desc) - tick_len - 2
        if right - left < 20 or bottom - top < 20:
            return
        n = rng.randint(3, 7) if self.kind == "bar" else rng.randint(5, 12)
        grid = rng.random() < 0.5
        vmax_axis = ticks[-1]
        for t, label in zip(ticks, labels):
            ty = bottom - (bottom - top) * t / vmax_axis
            if grid and t > 0:
                canvas.hline(left, right, ty, (215, 215, 215))
            canvas.hline(left - tick_len, left, ty, self.color)
            canvas.text(left - tick_len - 2 - text_width(font, label), ty + asc // 2, label, font, self.color)
        values = [[rng.uniform(0.1, 0.95) * vmax for _ in range(n)] for _ in range(series)]
        slot = (right - left) / n
        if self.kind == "bar":
            bar_w = max(1, slot * 0.7 / series)
            for i in range(n):
                for s in range(series):
                    bx = left + i * slot + slot * 0.15 + s * bar_w
                    by = bottom - (bottom - top) * values[s][i] / vmax_axis
                    draw.rectangle((round(bx), round(by), round(bx + bar_w) - 1, bottom - 1), fill=self.palette[s])
        elif self.kind == "line":
            for s in range(series):
                pts = [(left + (i + 0.5) * slot, bottom - (bottom - top) * values[s][i] / vmax_axis) for i in range(n)]
                draw.line(pts, fill=self.palette[s], width=max(1, round(1.3 * self.scale)))
                r = max(1, round(2 * self.scale))
                for px, py in pts:
                    draw.ellipse((px - r, py - r, px + r, py + r), fill=self.palette[s])
        else:
            r = max(1, round(1.6 * self.scale))
            for s in range(series):
                for _ in range(rng.randint(15, 60)):
                    px = rng.uniform(left + r + 1, right - r - 1)
                    py = rng.uniform(top + r, bottom - r - 1)
                    draw.ellipse((px - r, py - r, px + r, py + r), fill=self.palette[s])
        canvas.vline(left, top, bottom + 1, self.color)
        canvas.hline(left, right, bottom, self.color)
        if self.kind != "scatter":
            first, style = rng.randint(1990, 2015), rng.random()
            if style < 0.5:
                xlabels = [str(first + i) for i in range(n)]
            elif style < 0.75:
                xlabels = [f"Q{i % 4 + 1}" for i in range(n)]
            else:
                xlabels = [self.text.noun()[:7].capitalize() for _ in range(n)]
            if max(text_width(font, s) for s in xlabels) > slot * 0.8:
                xlabels = [s if i % 2 == 0 else "" for i, s in enumerate(xlabels)]
            for i, label in enumerate(xlabels):
                cx = left + (i + 0.5) * slot
                canvas.hline(cx, cx + 1, bottom, self.color, tick_len + 1)
                if label and text_width(font, label) < 2 * slot * 0.8:
                    canvas.text(round(cx - text_width(font, label) / 2), bottom + tick_len + 1 + asc, label, font,
                                self.color)
        if legend_outside:
            self._legend(canvas, font, names, x1 - 2, top, right - 2)
        elif series > 1:
            self._legend(canvas, font, names, right, top, left)

    def _legend(self, canvas, font, names, right, top, left):
        asc, desc = line_metrics(font)
        box = asc
        width = max(text_width(font, n) for n in names) + box + 4
        lx = right - width - 2
        if lx < left + 4:
            return
        for i, name in enumerate(names):
            ly = top + 2 + i * (asc + desc + 1)
            canvas.draw.rectangle((lx, ly + desc, lx + box - 2, ly + desc + box - 2), fill=self.palette[i])
            canvas.text(lx + box + 2, ly + asc + desc // 2, name, font, self.color)

    def _pie(self, canvas, x0, y0, x1, y1):
        rng = self.rng
        n = rng.randint(3, 6)
        values = [rng.uniform(1, 5) for _ in range(n)]
        total = sum(values)
        size = min(y1 - y0, int((x1 - x0) * 0.5)) - 2
        cx0 = x0 + (x1 - x0 - size) // 4 if rng.random() < 0.7 else x0 + (x1 - x0 - size) // 2
        cy0 = y0 + (y1 - y0 - size) // 2
        angle = rng.uniform(-90, 0)
        for i, v in enumerate(values):
            sweep = 360 * v / total
            canvas.draw.pieslice((cx0, cy0, cx0 + size, cy0 + size), angle, angle + sweep,
                                 fill=self.palette[i % len(self.palette)], outline=(255, 255, 255))
            angle += sweep
        self.palette = self.palette * 2
        names = [self.text.noun().capitalize() for _ in range(n)]
        self._legend(canvas, self.font, names, x1 - 1, y0 + 2, cx0 + size)

    def _diagram(self, canvas, x0, y0, x1, y1):
        rng, font = self.rng, self.font
        asc, desc = line_metrics(font)
        n = rng.randint(3, 5)
        horizontal = (x1 - x0) > (y1 - y0)
        fill = rng.choice([(214, 226, 240), (226, 226, 226), (232, 222, 200), (210, 232, 214)])
        labels = [self.text.noun().capitalize() for _ in range(n)]
        if horizontal:
            gap = max(6, (x1 - x0) // (4 * n))
            bw = ((x1 - x0) - gap * (n - 1)) // n
            bh = min(y1 - y0 - 2, max(asc + desc + 8, (y1 - y0) // 3))
            boxes = [(x0 + i * (bw + gap), y0 + (y1 - y0 - bh) // 2, bw, bh) for i in range(n)]
        else:
            gap = max(6, (y1 - y0) // (3 * n))
            bh = ((y1 - y0) - gap * (n - 1)) // n
            bw = min(x1 - x0 - 2, max(40, (x1 - x0) // 2))
            boxes = [(x0 + (x1 - x0 - bw) // 2, y0 + i * (bh + gap), bw, bh) for i in range(n)]
        for i, (bx, by, bw_, bh_) in enumerate(boxes):
            canvas.draw.rounded_rectangle((bx, by, bx + bw_ - 1, by + bh_ - 1), radius=max(1, min(bw_, bh_) // 6),
                                          fill=fill, outline=self.color)
            label = labels[i]
            if text_width(font, label) < bw_ - 4 and asc + desc < bh_ - 2:
                canvas.text(round(bx + (bw_ - text_width(font, label)) / 2), by + (bh_ + asc - desc) // 2, label,
                            font, self.color)
            if i + 1 < n:
                if horizontal:
                    ax0, ay, ax1 = bx + bw_, by + bh_ // 2, boxes[i + 1][0] - 1
                    canvas.draw.line((ax0, ay, ax1, ay), fill=self.color)
                    canvas.draw.polygon([(ax1, ay), (ax1 - 3, ay - 2), (ax1 - 3, ay + 2)], fill=self.color)
                else:
                    ax, ay0, ay1 = bx + bw_ // 2, by + bh_, boxes[i + 1][1] - 1
                    canvas.draw.line((ax, ay0, ax, ay1), fill=self.color)
                    canvas.draw.polygon([(ax, ay1), (ax - 2, ay1 - 3), (ax + 2, ay1 - 3)], fill=self.color)
