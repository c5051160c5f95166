#!/usr/bin/env python3
"""Writes the mime module's test fixtures and fuzz seeds (tests/mime/).

Run from anywhere: python3 tests/mime/make_fixtures.py. Output is deterministic except
hostile/encrypted.zip, which the `zip` command writes (Python cannot encrypt ZIP members).
The PDFs are written by hand, byte offsets for the xref table computed here; encrypted.pdf uses
the PDF 1.4 standard security handler (RC4, 40-bit, revision 2) with user password "secret",
which needs nothing beyond hashlib.
"""
import base64
import hashlib
import io
import os
import shutil
import subprocess
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
DATE = (2024, 1, 1, 0, 0, 0)


def write(path, data):
    path = os.path.join(HERE, path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def make_zip(members, stored_first=None):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        if stored_first:
            name, data = stored_first
            z.writestr(zipfile.ZipInfo(name, DATE), data, compress_type=zipfile.ZIP_STORED)
        for name, data in members:
            z.writestr(zipfile.ZipInfo(name, DATE), data, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


# --- PDF ---------------------------------------------------------------------------------------

PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def rc4(key, data):
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out = bytearray()
    i = j = 0
    for b in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(b ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def pdf_string(text):
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(pages, user_password=None):
    """A PDF with one page per entry of `pages` (lines of text), Helvetica 12pt."""
    objects = {}
    count = len(pages)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(count))
    objects[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[2] = f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode()
    objects[3] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    streams = {}
    for i, lines in enumerate(pages):
        page, content = 4 + 2 * i, 5 + 2 * i
        objects[page] = (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                         f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content} 0 R >>").encode()
        ops = ["BT", "/F1 12 Tf", "72 720 Td", "14 TL"]
        for line in lines:
            ops.append(f"({pdf_string(line)}) Tj T*")
        ops.append("ET")
        streams[content] = "\n".join(ops).encode("latin-1")

    file_id = hashlib.md5(b"sendguard test pdf").digest()
    encrypt_ref = None
    if user_password is not None:
        p = -44  # print and copy allowed: encryption here is about opening, not permissions
        owner_key = hashlib.md5((b"owner" + PAD)[:32]).digest()[:5]
        o_value = rc4(owner_key, (user_password.encode() + PAD)[:32])
        key = hashlib.md5((user_password.encode() + PAD)[:32] + o_value +
                          (p & 0xFFFFFFFF).to_bytes(4, "little") + file_id).digest()[:5]
        u_value = rc4(key, PAD)
        for num in streams:
            object_key = hashlib.md5(key + num.to_bytes(3, "little") + b"\0\0").digest()[:10]
            streams[num] = rc4(object_key, streams[num])
        encrypt_ref = max(list(objects) + list(streams)) + 1
        objects[encrypt_ref] = (b"<< /Filter /Standard /V 1 /R 2 /O <" + o_value.hex().encode() +
                                b"> /U <" + u_value.hex().encode() + b"> /P " + str(p).encode() + b" >>")
    for num, data in streams.items():
        objects[num] = (f"<< /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream")

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += f"{num} 0 obj\n".encode() + objects[num] + b"\nendobj\n"
    xref = len(out)
    size = max(objects) + 1
    out += f"xref\n0 {size}\n0000000000 65535 f \n".encode()
    for num in range(1, size):
        out += f"{offsets[num]:010d} 00000 n \n".encode()
    trailer = f"<< /Size {size} /Root 1 0 R /ID [<{file_id.hex()}> <{file_id.hex()}>]"
    if encrypt_ref:
        trailer += f" /Encrypt {encrypt_ref} 0 R"
    out += f"trailer\n{trailer} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


# --- Office ------------------------------------------------------------------------------------

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
WP = 'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"'
XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def content_types(overrides):
    parts = "".join(f'<Override PartName="/{name}" ContentType="{ctype}"/>' for name, ctype in overrides)
    return (XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>' + parts + '</Types>').encode()


def make_docx():
    document = (XML + f'<w:document {W} {WP}><w:body>'
                '<w:p><w:r><w:t>OFFICIAL-SENSITIVE</w:t></w:r></w:p>'
                '<w:p><w:r><w:t xml:space="preserve">Patient NHS number </w:t></w:r>'
                '<w:r><w:t>943 476 5919</w:t></w:r></w:p>'
                '<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>'
                '<w:r><w:drawing><wp:anchor><wp:positionH><wp:posOffset>914400</wp:posOffset>'
                '</wp:positionH></wp:anchor></w:drawing><w:t>Caf&#233; &amp; bar</w:t></w:r></w:p>'
                '<w:tbl><w:tr><w:tc><w:p><w:r><w:t>cell one</w:t></w:r></w:p></w:tc>'
                '<w:tc><w:p><w:r><w:t>cell two</w:t></w:r></w:p></w:tc></w:tr></w:tbl>'
                '</w:body></w:document>').encode()
    header = (XML + f'<w:hdr {W}><w:p><w:r><w:t>HEADER BANNER</w:t></w:r></w:p></w:hdr>').encode()
    footer = (XML + f'<w:ftr {W}><w:p><w:r><w:t>FOOTER BANNER</w:t></w:r></w:p></w:ftr>').encode()
    main = "application/vnd.openxmlformats-officedocument.wordprocessingml"
    return make_zip([
        ("[Content_Types].xml", content_types([("word/document.xml", main + ".document.main+xml")])),
        ("_rels/.rels", (XML + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
                         '</Relationships>').encode()),
        ("word/document.xml", document),
        ("word/header1.xml", header),
        ("word/footer1.xml", footer),
    ])


def make_xlsx():
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    shared = (XML + f'<sst {ns} count="3" uniqueCount="3"><si><t>Name</t></si><si><t>Card</t></si>'
              '<si><r><t xml:space="preserve">Jane </t></r><r><t>Doe</t></r></si></sst>').encode()
    sheet1 = (XML + f'<worksheet {ns}><sheetData>'
              '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
              '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>4111111111111111</v></c>'
              '<c r="C2" t="inlineStr"><is><t>inline text</t></is></c>'
              '<c r="D2"><f>SUM(B2)</f><v>7</v></c></row>'
              '</sheetData></worksheet>').encode()
    sheet2 = (XML + f'<worksheet {ns}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>hidden sheet text'
              '</t></is></c></row></sheetData></worksheet>').encode()
    workbook = (XML + f'<workbook {ns}><sheets><sheet name="One" sheetId="1"/>'
                '<sheet name="Two" sheetId="2" state="hidden"/></sheets></workbook>').encode()
    return make_zip([
        ("[Content_Types].xml", content_types([("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")])),
        ("xl/workbook.xml", workbook),
        ("xl/sharedStrings.xml", shared),
        ("xl/worksheets/sheet1.xml", sheet1),
        ("xl/worksheets/sheet2.xml", sheet2),
    ])


def make_pptx():
    ns = ('xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" '
          'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"')

    def slide(*paragraphs):
        body = "".join(f"<a:p><a:r><a:t>{p}</a:t></a:r></a:p>" for p in paragraphs)
        return (XML + f'<p:sld {ns}><p:cSld><p:spTree><p:sp><p:txBody>{body}</p:txBody></p:sp>'
                '</p:spTree></p:cSld></p:sld>').encode()
    return make_zip([
        ("[Content_Types].xml", content_types([("ppt/presentation.xml", "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml")])),
        ("ppt/presentation.xml", (XML + f'<p:presentation {ns}/>').encode()),
        ("ppt/slides/slide10.xml", slide("Slide ten")),
        ("ppt/slides/slide1.xml", slide("Slide one title", "Budget 2024")),
        ("ppt/slides/slide2.xml", slide("Slide two")),
    ])


def make_odt():
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"')
    content = (XML + f'<office:document-content {ns}><office:body><office:text>'
               '<text:h>ODT heading</text:h><text:p>Para one<text:s/>two</text:p>'
               '<text:p>Second <text:span>span</text:span> end</text:p>'
               '</office:text></office:body></office:document-content>').encode()
    styles = (XML + f'<office:document-styles {ns}><office:master-styles><style:master-page>'
              '<style:header><text:p>ODT HEADER BANNER</text:p></style:header>'
              '</style:master-page></office:master-styles></office:document-styles>').encode()
    manifest = (XML + '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>').encode()
    return make_zip([("content.xml", content), ("styles.xml", styles), ("META-INF/manifest.xml", manifest)],
                    stored_first=("mimetype", b"application/vnd.oasis.opendocument.text"))


def make_lying_bomb():
    """8 MiB of zeros whose local and central headers both claim 100 bytes: only a reader that
    counts inflated bytes as they come stops it."""
    data = bytearray(make_zip([("zeros.txt", bytes(8 << 20))]))
    local = data.find(b"PK\x03\x04")
    data[local + 22:local + 26] = (100).to_bytes(4, "little")
    central = data.find(b"PK\x01\x02")
    data[central + 24:central + 28] = (100).to_bytes(4, "little")
    return bytes(data)


ICS = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//sendguard//test//EN\r\nBEGIN:VEVENT\r\n"
       b"UID:abc@example.com\r\nDTSTART:20240101T100000Z\r\nSUMMARY:Project Falcon review\r\n"
       b"DESCRIPTION:Agenda: budget\\, staffing\\nSecond line that is fol\r\n ded here\r\n"
       b"LOCATION:Room 4\r\nORGANIZER;CN=\"Doe: Jane\":mailto:jane@example.com\r\n"
       b"END:VEVENT\r\nEND:VCALENDAR\r\n")

CSV = "name,city\r\nJos\u00e9,Z\u00fcrich\r\n\u20ac price,5\r\n".encode("cp1252")


def main():
    docx = make_docx()
    write("sample.docx", docx)
    write("sample.xlsx", make_xlsx())
    write("sample.pptx", make_pptx())
    write("sample.odt", make_odt())
    write("sample.pdf", make_pdf([["OFFICIAL-SENSITIVE", "Quarterly report (draft)"], ["Page two text"]]))
    write("invite.ics", ICS)
    write("people.csv", CSV)
    write("nested.zip", make_zip([("docs/inner.docx", docx), ("notes.txt", b"zip notes text\n")]))

    write("hostile/encrypted.pdf", make_pdf([["secret text in an encrypted PDF"]], user_password="secret"))
    write("hostile/truncated.docx", docx[: len(docx) // 2])
    write("hostile/corrupt.pdf", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R\n" + bytes(range(256)) * 4)
    write("hostile/lying_bomb.zip", make_lying_bomb())
    if shutil.which("zip"):
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "secret.txt"), "wb") as f:
                f.write(b"the password-protected text\n")
            target = os.path.join(tmp, "encrypted.zip")
            subprocess.run(["zip", "-q", "-X", "-j", "-P", "secret", target, os.path.join(tmp, "secret.txt")],
                           check=True)
            with open(target, "rb") as f:
                write("hostile/encrypted.zip", f.read())
    else:
        print("zip not found: hostile/encrypted.zip left as it is")

    # Fuzz seeds: small, valid files of each kind (the fuzzers take at most 4096 bytes).
    write("fuzz/pdf/sample.pdf", make_pdf([["Hello PDF"]]))
    write("fuzz/pdf/encrypted.pdf", make_pdf([["x"]], user_password="pw"))
    write("fuzz/office/sample.docx", docx)
    write("fuzz/office/sample.xlsx", make_xlsx())
    write("fuzz/office/sample.pptx", make_pptx())
    write("fuzz/office/sample.odt", make_odt())
    write("fuzz/archive/small.zip", make_zip([("a.txt", b"alpha\n"), ("b/c.csv", b"x,y\n1,2\n")]))
    write("fuzz/archive/nested.zip", make_zip([("inner.zip", make_zip([("deep.txt", b"deep\n")]))]))
    write("fuzz/text/invite.ics", ICS)
    write("fuzz/text/people.csv", CSV)
    write("fuzz/text/page.html", b"<html><body><p>Hi &amp; bye</p><div style='display:none'>hidden</div>"
                                 b"<script>var x = '<p>';</script><table><tr><td>a</td><td>b</td></tr></table></body></html>")
    write("fuzz/message/simple.eml", b"From: Jane <j@example.com>\r\nTo: a@x.com, \"B, C\" <b@y.org>\r\n"
          b"Subject: =?UTF-8?Q?caf=C3=A9?= report\r\n\r\nHello\r\n")
    write("fuzz/message/alternative.eml", b"From: j@example.com\r\nSubject: alt\r\nMIME-Version: 1.0\r\n"
          b"Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n"
          b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
          b"Z=FCrich\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Z&uuml;rich</p>"
          b"<div style=display:none>hidden</div>\r\n--b--\r\n")
    write("fuzz/message/nested.eml", b"From: j@example.com\r\nSubject: fwd\r\nMIME-Version: 1.0\r\n"
          b"Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: text/plain\r\n\r\nsee\r\n"
          b"--o\r\nContent-Type: message/rfc822\r\n\r\nFrom: c@d.e\r\nSubject: inner\r\n"
          b"Content-Type: multipart/mixed; boundary=i\r\n\r\n--i\r\nContent-Type: text/calendar\r\n\r\n"
          b"BEGIN:VCALENDAR\r\nSUMMARY:x\r\nEND:VCALENDAR\r\n--i--\r\n--o--\r\n")
    small_zip = make_zip([("a.txt", b"alpha\n")])
    write("fuzz/message/attachment.eml", b"From: j@example.com\r\nSubject: att\r\nMIME-Version: 1.0\r\n"
          b"Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
          b"--m\r\nContent-Type: application/zip; name=a.zip\r\nContent-Disposition: attachment; filename=a.zip\r\n"
          b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(small_zip).replace(b"\n", b"\r\n") +
          b"--m--\r\n")
    write("fuzz/text/plain.txt", "caf\u00e9 na\u00efve\n".encode("utf-8"))


if __name__ == "__main__":
    main()
