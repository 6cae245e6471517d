#!/usr/bin/env python3
"""Writes the benchmark page of bench/rewrite/run.sh to stdout.

A deterministic, realistic ~40 KB HTML page (a news/shop-like article page)
with 6 <iframe> embeds:

  - 4 pointing at the listed embed origin https://widget.example.com, in
    varied forms: double-quoted with a query and &amp;, single-quoted with a
    fragment, unquoted with an upper-case host and the default :443 port,
    upper-case tag/attribute with a query and a fragment route;
  - 2 pointing elsewhere (must stay untouched).

plus ordinary markup: <head> with meta, link, an inline <style> and
scripts, a nav, a dozen articles with paragraphs, lists, tables and images,
HTML comments (one containing an <iframe> that is not a tag), and an inline
script whose string literals contain "<iframe src=...widget.example.com"
text (not a tag either). Only the 4 real embeds must be rewritten.

Usage: python3 gen_page.py [target_bytes]   (default 40960)
"""
import sys

TARGET = int(sys.argv[1]) if len(sys.argv) > 1 else 40960

WORDS = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
    "incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud "
    "exercitation ullamco laboris nisi aliquip ex ea commodo consequat duis aute irure "
    "in reprehenderit voluptate velit esse cillum fugiat nulla pariatur excepteur sint "
    "occaecat cupidatat non proident sunt culpa qui officia deserunt mollit anim id est"
).split()


def text(seed, n):
    """n pseudo-random words, deterministic in seed."""
    out, x = [], seed * 2654435761 % 2**32
    for _ in range(n):
        x = (x * 1103515245 + 12345) % 2**31
        out.append(WORDS[x % len(WORDS)])
    s = " ".join(out)
    return s[0].upper() + s[1:] + "."


HEAD = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="The Daily Widget: news, reviews and a checkout that lives in an iframe.">
<meta property="og:title" content="The Daily Widget">
<meta property="og:image" content="https://cdn.example.net/img/og.png">
<title>The Daily Widget &mdash; embeds &amp; more</title>
<link rel="preconnect" href="https://widget.example.com">
<link rel="stylesheet" href="/static/site.css?v=20240611">
<link rel="icon" href="/favicon.ico">
<link rel="canonical" href="https://shop.example.com/articles/daily">
<style>
  :root { --fg: #1d1d1f; --bg: #fff; --accent: #0a66c2; }
  body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
  nav ul { display: flex; gap: 1rem; list-style: none; padding: 0 1rem; }
  article { max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }
  article > h2 { font-size: 1.5rem; border-bottom: 1px solid #ddd; }
  iframe { width: 100%; min-height: 320px; border: 0; }
  /* an <iframe src="https://widget.example.com/in-css"> in a style is text */
  table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .25rem .5rem; }
  .card:hover { box-shadow: 0 2px 8px rgba(0,0,0,.15); }
</style>
<script async src="https://analytics.example.net/a.js"></script>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){ dataLayer.push(arguments); }
  gtag('js', new Date()); gtag('config', 'G-EXAMPLE');
  // Lazy embeds: this builds markup in a string; it is script text, not a tag.
  var lazyTemplate = '<iframe src="https://widget.example.com/lazy?x=1" loading="lazy"></iframe>';
  var other = "<IFRAME SRC='https://widget.example.com/other'>";
  if (1 < 2 && "a" < "b") { document.documentElement.className += " js"; }
</script>
<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle","headline":"The Daily Widget"}</script>
</head>
<body class="home">
<!-- header: <iframe src="https://widget.example.com/commented-out"></iframe> stays a comment -->
<header>
  <a class="logo" href="/"><img src="/static/logo.svg" alt="The Daily Widget" width="120" height="32"></a>
  <nav aria-label="main">
    <ul>
      <li><a href="/">Home</a></li>
      <li><a href="/news?page=1&amp;sort=new">News</a></li>
      <li><a href="/reviews">Reviews</a></li>
      <li><a href="/shop">Shop</a></li>
      <li><a href="/about" title="About &quot;us&quot;">About</a></li>
    </ul>
  </nav>
</header>
<main id="content">
"""

# The six embeds, placed after articles 1, 3, 5, 7, 9, 11.
EMBEDS = [
    '<iframe src="https://widget.example.com/checkout?cart=8842&amp;lang=en" '
    'title="Checkout" allow="payment" loading="lazy"></iframe>',
    '<iframe class="video" src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?rel=0" '
    'allowfullscreen></iframe>',
    "<iframe src='https://widget.example.com/chat#room=support' title='Chat' "
    "sandbox='allow-scripts allow-same-origin allow-forms'></iframe>",
    '<iframe src="https://maps.example.org/embed?q=Paris&amp;z=12" width="600" height="400"></iframe>',
    "<iframe src=https://WIDGET.example.com:443/map?zoom=3 width=600 height=400></iframe>",
    '<IFRAME\n  title="Dashboard"\n  SRC = "https://widget.example.com/dash?team=7#/reports?tab=weekly"\n  referrerpolicy="strict-origin"></IFRAME>',
]

TAIL = """</main>
<aside class="newsletter">
  <form action="/subscribe" method="post">
    <label for="email">Newsletter</label>
    <input id="email" name="email" type="email" placeholder="you@example.com" required>
    <button type="submit">Subscribe</button>
  </form>
</aside>
<footer>
  <p>&copy; 2024 The Daily Widget &middot; <a href="/privacy">Privacy</a> &middot; <a href="/terms">Terms</a></p>
</footer>
<script src="/static/app.js" defer></script>
<script>
  document.querySelectorAll('a[href^="http"]').forEach(function (a) { a.rel = "noopener"; });
  console.log("</ifr" + "ame> and <iframe> inside strings are not tags");
</script>
</body>
</html>
"""


def article(i):
    parts = [
        f'<article class="card" id="a{i}" data-id="{1000 + i}">',
        f"<h2><a href=\"/articles/{i}?ref=home&amp;pos={i}\">{text(i, 7)[:-1]}</a></h2>",
        f'<p class="meta">By <a href="/authors/{i % 5}">Author {i % 5}</a> &middot; '
        f'<time datetime="2024-06-{(i % 28) + 1:02d}">June {(i % 28) + 1}, 2024</time></p>',
        f'<img src="/img/{i}.jpg" srcset="/img/{i}@2x.jpg 2x" alt="{text(i + 50, 4)[:-1]}" width="640" height="360" loading="lazy">',
    ]
    for j in range(4):
        parts.append(f"<p>{text(i * 10 + j, 38)} <em>{text(i + j, 3)[:-1]}</em> {text(i * 7 + j, 20)}</p>")
    parts.append("<ul>" + "".join(f"<li>{text(i * 3 + k, 6)}</li>" for k in range(4)) + "</ul>")
    if i % 3 == 0:
        parts.append(
            "<table><thead><tr><th>Plan</th><th>Price</th><th>Seats</th></tr></thead><tbody>"
            + "".join(f"<tr><td>Tier {k}</td><td>&euro;{9 * k + 1}</td><td>{k * 5}</td></tr>" for k in range(1, 5))
            + "</tbody></table>"
        )
    parts.append(f"<!-- /article {i} -->")
    parts.append("</article>")
    return "\n".join(parts) + "\n"


def page(n_articles):
    body = []
    for i in range(n_articles):
        body.append(article(i))
        if i % 2 == 1 and i // 2 < len(EMBEDS):
            body.append('<div class="embed">\n' + EMBEDS[i // 2] + "\n</div>\n")
    return HEAD + "".join(body) + TAIL


# The article count (at least 12, so all 6 embeds are in) whose page size is
# closest to the target.
n = 12
while len(page(n + 1).encode()) <= TARGET:
    n += 1
if abs(len(page(n + 1).encode()) - TARGET) < abs(len(page(n).encode()) - TARGET):
    n += 1
sys.stdout.write(page(n))
