# Markup in what the report quotes: a formula, HTML, a table row and a newline.
def double(x):
    raise ValueError("=HYPERLINK(\"http://evil\")<img src=x onerror=alert(1)> | forged | row |\n| evil | 9/9 |")
