// The page's languages (issue 18): every catalogue web/src/lang-CODE.js has exactly the keys of
// English (STRINGS.en), no empty text, the same {placeholders}, no markup, and says that it needs
// a native speaker's review; strings.js loads each (LANGUAGES, STRINGS), web/meson.build serves
// each, index.html's <noscript> explains in each; pickLanguage maps the browser's languages.
// No English fallback exists in the page, so a key missing here would show as its name there.
// The checks are first run on copies made wrong on purpose, which they must refuse.
// Usage: node lang.mjs SOURCE_ROOT
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(process.argv[2] || '.');
const src = path.join(root, 'web', 'src');
const WANTED = ['en', 'es', 'pt_BR', 'fil', 'sw', 'fr'];
let failures = 0, checks = 0;

function check(cond, msg) {
	checks++;
	if (!cond) {
		failures++;
		console.log(`web_lang: FAIL: ${msg}`);
	}
}

const placeholders = (s) => [...s.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]).sort();
// markup: a tag, an entity, or a stray brace that is not a {placeholder}
const MARKUP = /<\/?[a-zA-Z!][^>]*>|&[a-zA-Z]+;|&#\d+;|&#x[0-9a-fA-F]+;/;
// controls other than a newline, and the bidirectional overrides and isolates, which reorder
// what a person reads (a warning's words shown in another order)
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

// What is wrong with catalogue cat (of language code) against English: a list of sentences.
export function problems(en, cat, code) {
	const out = [];
	if (cat === null || typeof cat !== 'object')
		return [`${code}: not an object`];
	for (const k of Object.keys(en))
		if (!Object.hasOwn(cat, k))
			out.push(`${code}: key ${k} missing`);
	for (const k of Object.keys(cat)) {
		if (!Object.hasOwn(en, k)) {
			out.push(`${code}: key ${k} is not in English`);
			continue;
		}
		const v = cat[k];
		if (typeof v !== 'string') {
			out.push(`${code}: ${k} is not a string`);
			continue;
		}
		if (v.trim() === '')
			out.push(`${code}: ${k} is empty`);
		const want = placeholders(en[k]).join(','), got = placeholders(v).join(',');
		if ([...new Set(placeholders(en[k]))].join(',') !== [...new Set(placeholders(v))].join(','))
			out.push(`${code}: ${k} has placeholders {${got}}, English {${want}}`);
		else if (/[{}]/.test(v.replace(/\{[a-z_]+\}/g, '')))
			out.push(`${code}: ${k} has a brace that is not a placeholder: ${JSON.stringify(v)}`);
		if (MARKUP.test(v))
			out.push(`${code}: ${k} holds markup: ${JSON.stringify(v)}`);
		if (UNSAFE.test(v) && !UNSAFE.test(en[k]))
			out.push(`${code}: ${k} holds a control or bidi character: ${JSON.stringify(v)}`);
		if (v !== v.trim() && en[k] === en[k].trim() && k !== 'list_separator')
			out.push(`${code}: ${k} starts or ends with spaces`);
	}
	return out;
}

// The <noscript> explanation in each language: <details lang="CODE or TAG"><summary>NAME...
export function noscriptProblems(html, languages) {
	const out = [];
	const m = /<noscript id="nojs">([\s\S]*?)<\/noscript>/.exec(html);
	if (!m)
		return ['index.html: no <noscript id="nojs">'];
	const block = m[1];
	for (const l of languages.filter((x) => x.code !== 'en')) {
		const re = new RegExp(`<details lang="(${l.code}|${l.tag})">\\s*<summary>([^<]*)</summary>` +
			'([\\s\\S]*?)</details>');
		const d = re.exec(block);
		if (!d) {
			out.push(`index.html: no <details lang="${l.tag}"><summary>… in the <noscript> for ${l.code}`);
			continue;
		}
		if (d[2].trim() !== l.name)
			out.push(`index.html: the ${l.code} <noscript> block's summary is ${JSON.stringify(d[2])
			}, wanted ${JSON.stringify(l.name)}`);
		if (d[3].replace(/<[^>]*>/g, '').trim().length < 200)
			out.push(`index.html: the ${l.code} <noscript> block is almost empty`);
	}
	return out;
}

// ---- the checks refuse what is wrong (on copies made wrong on purpose) ----
function selfTest(en, base, code) {
	const key = Object.keys(en).find((k) => placeholders(en[k]).length > 0);
	const plain = Object.keys(en).find((k) => placeholders(en[k]).length === 0);
	const cases = {
		'a key missing': (c) => { delete c[plain]; },
		'a key added': (c) => { c.not_a_key = 'x'; },
		'an empty text': (c) => { c[plain] = ' '; },
		'a placeholder renamed': (c) => { c[key] = c[key].replace(/\{[a-z_]+\}/, '{nombre}'); },
		'a placeholder dropped': (c) => { c[key] = c[key].replace(/\{[a-z_]+\}/g, 'X'); },
		'markup': (c) => { c[plain] = `<b>${c[plain]}</b>`; },
		'an entity': (c) => { c[plain] = `${c[plain]}&nbsp;`; },
		'a bidi override': (c) => { c[plain] = `\u202e${c[plain]}`; },
		'a control character': (c) => { c[plain] = `${c[plain]}\u009b8m`; },
	};
	check(problems(en, base, code).length === 0 || code !== 'en',
		`self-test: English against itself: ${problems(en, base, code).join('; ')}`);
	for (const [what, mutate] of Object.entries(cases)) {
		const c = { ...base };
		mutate(c);
		check(problems(en, c, code).length > 0, `self-test: ${what} in ${code} went unnoticed`);
	}
	const html = '<noscript id="nojs"><p>English</p>\n<details lang="es"><summary>Español' +
		`</summary><p>${'x'.repeat(250)}</p></details></noscript>`;
	const langs = [{ code: 'en', tag: 'en', name: 'English' }, { code: 'es', tag: 'es',
		name: 'Español' }];
	check(noscriptProblems(html, langs).length === 0,
		`self-test: a good <noscript> refused: ${noscriptProblems(html, langs)}`);
	check(noscriptProblems(html.replace('lang="es"', 'lang="fr"'), langs).length > 0,
		'self-test: a <noscript> without Spanish went unnoticed');
	check(noscriptProblems(html.replace('Español', 'Spanish'), langs).length > 0,
		'self-test: a <noscript> block not named in its language went unnoticed');
}

const mod = await import(pathToFileURL(path.join(src, 'strings.js')));
const { STRINGS, LANGUAGES, pickLanguage } = mod;
const en = STRINGS.en;
selfTest(en, { ...en }, 'en');

// the languages: all six, in strings.js, its files, served
check(JSON.stringify(LANGUAGES.map((l) => l.code)) === JSON.stringify(WANTED),
	`LANGUAGES lists ${LANGUAGES.map((l) => l.code).join(' ')}, wanted ${WANTED.join(' ')}`);
const files = fs.readdirSync(src).filter((f) => /^lang-.*\.js$/.test(f));
const meson = fs.readFileSync(path.join(root, 'web', 'meson.build'), 'utf8');
const webSrc = /web_src = \[([\s\S]*?)\]/.exec(meson)[1];
const stringsJs = fs.readFileSync(path.join(src, 'strings.js'), 'utf8');
for (const l of LANGUAGES.filter((x) => x.code !== 'en')) {
	const f = `lang-${l.code}.js`;
	if (!files.includes(f)) {
		check(false, `${l.code}: web/src/${f} does not exist`);
		continue;
	}
	check(Object.hasOwn(STRINGS, l.code), `${l.code}: strings.js does not import ${f}`);
	check(webSrc.includes(`'${f}'`), `${l.code}: web/meson.build's web_src does not serve ${f}`);
	const text = fs.readFileSync(path.join(src, f), 'utf8');
	check(/native speaker/i.test(text.split('export default')[0]),
		`${l.code}: ${f}'s header does not say it needs review by a native speaker`);
	const own = (await import(pathToFileURL(path.join(src, f)))).default;
	check(own === STRINGS[l.code] || !Object.hasOwn(STRINGS, l.code),
		`${l.code}: STRINGS.${l.code} is not ${f}'s catalogue`);
	const p = problems(en, own, l.code);
	for (const s of p)
		check(false, s);
	log(`${l.code}: ${Object.keys(own).length} keys, ${p.length} problems`);
	selfTest(en, own, l.code);
}
for (const f of files) {
	const code = f.slice(5, -3);
	check(LANGUAGES.some((l) => l.code === code), `web/src/${f} is not a language of LANGUAGES`);
}
check(!/\.\.\.\s*STRINGS\.en/.test(stringsJs + fs.readFileSync(path.join(src, 'app.js'), 'utf8')),
	'an English fallback ({...STRINGS.en, ...}) is back');

// the <noscript> explanation in every language
for (const s of noscriptProblems(fs.readFileSync(path.join(src, 'index.html'), 'utf8'), LANGUAGES))
	check(false, s);

// the browser's languages -> the page's
const pick = {
	'pt-BR': 'pt_BR', pt: 'pt_BR', 'pt-PT': 'pt_BR', tl: 'fil', fil: 'fil', 'fil-PH': 'fil',
	'tl-PH': 'fil', 'es-419': 'es', 'es-CO': 'es', es: 'es', 'fr-CA': 'fr', fr: 'fr', 'sw-KE': 'sw',
	sw: 'sw', 'en-US': 'en', de: 'en', 'zh-CN': 'en',
};
for (const [asked, want] of Object.entries(pick))
	if (Object.hasOwn(STRINGS, want))
		check(pickLanguage([asked]) === want, `${asked} -> ${pickLanguage([asked])}, wanted ${want}`);
if (Object.hasOwn(STRINGS, 'fr'))
	check(pickLanguage(['de-DE', 'fr-FR', 'es']) === 'fr', 'the first language the page has wins');
check(pickLanguage(['en-US', 'es']) === 'en', 'English asked first: English');
check(pickLanguage([]) === 'en', 'nothing asked: English');

function log(s) {
	console.log(`web_lang: ${s}`);
}
log(`${checks - failures}/${checks} checks passed`);
process.exit(failures === 0 ? 0 : 1);
