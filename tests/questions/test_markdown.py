import re

from questions.markdown import render_inline, render_markdown


def test_raw_html_never_passes_through():
    html = render_markdown('Hi <script>alert(1)</script> <img src=x onerror="alert(2)">')
    assert "<script" not in html and "<img" not in html
    assert not re.search(r"<[^>]*onerror", html)  # only as escaped, visible text
    assert "&lt;script&gt;" in html


def test_code_blocks_for_policies_and_cli_lines_are_kept():
    html = render_markdown('```json\n{"Effect": "Deny"}\n```\n\nRun `aws s3 ls`.')
    assert '<pre tabindex="0"><code class="language-json">' in html
    assert '{"Effect": "Deny"}' in html
    assert "<code>aws s3 ls</code>" in html


def test_javascript_links_are_dropped():
    html = render_markdown("[click](javascript:alert(1)) and [docs](https://docs.aws.amazon.com/)")
    assert re.findall(r'href="([^"]*)"', html) == ["https://docs.aws.amazon.com/"]


def test_inline_options_are_not_wrapped_in_paragraphs():
    assert render_inline("Use **SSE-KMS**") == "Use <strong>SSE-KMS</strong>"
