// The submission page's words, every one a person sees (app.js and index.html hold none but the
// <noscript> explanation). One catalogue per language; {name} placeholders are filled whole,
// never sentences glued from pieces, so a translation can reorder them. English is here; each
// other language is lang-CODE.js with exactly these keys (tests/web/lang.mjs checks them), all
// loaded with the page: switching language asks the drop for nothing.

import es from './lang-es.js';
import fil from './lang-fil.js';
import fr from './lang-fr.js';
import pt_BR from './lang-pt_BR.js'; // eslint-disable-line camelcase
import sw from './lang-sw.js';

// The languages, in the selector's order: code (as in po/), name (in its own language), tag
// (BCP 47, for <html lang> and number formatting).
export const LANGUAGES = [
	{ code: 'en', name: 'English', tag: 'en' },
	{ code: 'es', name: 'Español', tag: 'es' },
	{ code: 'pt_BR', name: 'Português (Brasil)', tag: 'pt-BR' },
	{ code: 'fil', name: 'Filipino', tag: 'fil' },
	{ code: 'sw', name: 'Kiswahili', tag: 'sw' },
	{ code: 'fr', name: 'Français', tag: 'fr' },
];

// The first of the browser's languages (navigator.languages, most wanted first) the page has:
// pt and pt-* -> pt_BR, tl and fil(-*) -> fil, es-*, fr-*, sw-* -> their language; else English.
export function pickLanguage(wanted) {
	const alias = { pt: 'pt_BR', tl: 'fil', fil: 'fil', es: 'es', fr: 'fr', sw: 'sw', en: 'en' };
	for (const w of wanted || []) {
		const base = String(w).toLowerCase().split(/[-_]/)[0];
		const code = alias[base];
		if (code !== undefined && Object.hasOwn(STRINGS, code))
			return code;
	}
	return 'en';
}

export const STRINGS = {
	en: {
		page_title: 'Send a testimony',
		heading: 'Send a testimony to the newsroom',
		heading_named: 'Send a testimony to {newsroom}',
		intro:
			'What you write here is encrypted on this device, in this page, to the newsroom\'s ' +
			'journalists. The drop stores it without being able to read it, and does not learn ' +
			'who you are: keep using Tor Browser.',
		loading: 'Loading the encryption. This can take a moment on a slow connection.',

		// the language selector (<select id="lang">, at the top); lang_note is shown under it
		// in every language but English (so its English text is only the translators' source)
		lang_label: 'Language',
		lang_note:
			'This translation has not yet been checked by a native speaker. Where it is ' +
			'unclear, choose English.',

		// the newsroom key
		key_heading: 'Newsroom key',
		key_compare:
			'Compare this key with the one your newsroom publishes elsewhere (its website, its ' +
			'paper, its verified account). Compare every group, not only the first ones: ' +
			'"gdnk1" is the same for every newsroom. If it differs, stop: this drop is not your ' +
			'newsroom\'s. Send nothing.',
		key_check_label: 'Or paste the key from the newsroom\'s website here, to compare it:',
		key_check_same: 'Same key: this is the key the newsroom published.',
		key_check_differs:
			'DIFFERENT key: stop. This drop is not your newsroom\'s, or the key you pasted is ' +
			'another newsroom\'s. Send nothing here.',
		key_check_not_key:
			'This is not a whole newsroom key (it starts with gdnk1 and has 63 letters and ' +
			'digits). Copy it again, all of it.',
		key_matches_link: 'It is the same key as in the link you opened.',
		key_missing:
			'This drop has no valid newsroom key set up, so nothing can be encrypted. Send ' +
			'nothing here, and tell the newsroom another way.',
		key_link_typo:
			'The newsroom key in the address you opened (after #) has a typo, so it cannot be ' +
			'compared. Copy the address again from where the newsroom published it.',
		key_link_differs:
			'The newsroom key in the address you opened is not the key this drop uses. This ' +
			'drop is not your newsroom\'s, or the address is wrong. Send nothing here; tell the ' +
			'newsroom another way.',

		// loading and checking the drop
		bundle_checking: 'Checking the newsroom\'s signed list of journalist keys…',
		bundle_failed_title: 'Do not send anything here.',
		bundle_signature:
			'The drop\'s list of journalist keys was not signed by this newsroom\'s key, or it ' +
			'was damaged. Check that the newsroom key shown above is the one your newsroom ' +
			'publishes. If it is, this drop is not the newsroom\'s: send nothing, and tell the ' +
			'newsroom another way.',
		bundle_expired:
			'The newsroom\'s list of journalist keys on this drop is out of date, or this ' +
			'device\'s clock is wrong. Check the date and time of this device; otherwise the ' +
			'newsroom must publish new keys (try again in a few days). Do not use another key or ' +
			'address found elsewhere.',
		bundle_rollback:
			'The drop serves an older list of journalist keys than one already seen. Send ' +
			'nothing here, and tell the newsroom another way.',
		bundle_no_key:
			'The newsroom\'s list has no journalist key that can be used today. Nothing can be ' +
			'sent until the newsroom publishes new keys; tell the newsroom another way.',
		bundle_unlisted:
			'This address is not one of the newsroom\'s drops in its signed list. Send nothing ' +
			'here; use the address the newsroom published.',
		bundle_missing:
			'This drop has no list of journalist keys yet, so nothing can be encrypted. Try ' +
			'again later, or tell the newsroom another way.',
		bundle_bad:
			'The drop\'s list of journalist keys does not verify ({code}). Send nothing here, and ' +
			'tell the newsroom another way.',
		bundle_network:
			'The drop could not be reached to check the newsroom\'s keys. Check that Tor Browser ' +
			'is connected, then reload this page.',
		load_failed:
			'This page could not load its encryption code, so nothing can be sent from it. ' +
			'Reload it. If it fails again, use the ghostdrop program instead.',

		// modes
		mode_write: 'Send a testimony',
		mode_back: 'I have a codename',

		// writing
		write_heading: 'Your testimony',
		followup_heading: 'Send a follow-up as the same person',
		testimony_label: 'What do you want the journalists to know?',
		testimony_hint:
			'Do not write your name, your worker id, your team or anything only a few people ' +
			'know, unless you mean to.',
		attachments_label: 'Files (optional): screenshots, documents',
		attachments_hint:
			'Crop screenshots: your name, worker id and email often show in corners and tabs.',
		no_reply_label: 'I do not want answers (no codename)',
		send: 'Encrypt and send',
		followup_send: 'Encrypt and send the follow-up',

		// per-file report
		files_heading: 'To be sent, encrypted to the newsroom',
		file_message: 'the message, {size}',
		file_line: '{name}, {size} (your {original})',
		file_checking: 'checking…',
		file_removed: 'removed: {what}',
		file_nothing_found: 'no metadata found',
		file_text_ok: 'plain text: no hidden metadata; read it once for names',
		file_not_cleaned:
			'cannot be cleaned: this page cannot check it for hidden data that may identify you ' +
			'(author, software, device). Send it only if you made it yourself or are sure it ' +
			'holds nothing about you.',
		file_not_cleaned_doc:
			'cannot be cleaned: a document (Word, ODT, PDF) keeps the name of its author and ' +
			'the software that made it, often your employer\'s. Paste the text into the box ' +
			'above instead, or send a screenshot of it: screenshots are cleaned.',
		file_not_cleaned_media:
			'cannot be cleaned: a video or a recording may hold the device that made it and ' +
			'the place and time. Send it only if you are sure it holds nothing about you.',
		file_text_not:
			'cannot be checked: it is named like text but is not plain text (it may be a ' +
			'document renamed). Send it only if you are sure it holds nothing about you.',
		file_text_rtf:
			'cannot be checked: it is an RTF document named like text (RTF holds its author, ' +
			'company and dates). Send it only if you are sure it holds nothing about you.',
		file_text_control:
			'cannot be checked: it holds control characters (such as ESC) that plain text does ' +
			'not; they would act on the journalist\'s terminal.',
		file_text_invisible:
			'holds invisible characters that can mark who copied it (a watermark in text copied ' +
			'from your employer). Remove them, or send it as it is only if you are sure.',
		file_damaged:
			'could not be read as an image (it may be damaged), so it cannot be cleaned and ' +
			'is not sent. Remove it.',
		file_unreadable: 'could not be read. Remove it and choose it again.',
		file_keep_label: 'Send it as it is',
		file_remove: 'Remove',
		attachments_more: 'Choosing more files adds them to the list.',
		files_neutral: 'The files travel under the names shown, not their real names.',
		file_ref: '"{original}" ({name})',
		files_keep_needed:
			'These files cannot be cleaned: {names}. For each one, tick "Send it as it is" if ' +
			'you are sure of it, or remove it. Nothing was sent.',
		files_damaged: '{name} cannot be sent as it is. Remove it. Nothing was sent.',
		files_too_many: 'At most {max} files can be sent at once.',

		// what strip.js found, by its keys (client/strip.c's names)
		meta_gps: 'GPS position',
		meta_serial: 'camera serial',
		meta_author: 'author',
		meta_copyright: 'copyright',
		meta_camera: 'camera make and model',
		meta_makernote: 'maker notes',
		meta_dates: 'dates and times',
		meta_software: 'software',
		meta_thumbnail: 'thumbnail',
		meta_xmp: 'XMP',
		meta_iptc: 'IPTC',
		meta_comment: 'comment',
		meta_text: 'text chunks',
		meta_exif: 'other EXIF data',
		meta_profile: 'colour profile',
		meta_other: 'other metadata',
		meta_trailer: 'data after the image',
		list_separator: ', ',

		// sizes
		size_bytes: '{n} bytes',
		size_byte: '1 byte',
		size_kib: '{n} KiB',
		size_mib: '{n} MiB',
		size_gib: '{n} GiB',

		// refusals before sending
		empty: 'Nothing to send: the testimony is empty and there are no files.',
		too_long:
			'The testimony is too long ({size}; at most {max}). Send the rest as a text file.',
		codename_in_text:
			'The testimony contains {count} of your codename\'s words: whoever reads it could ' +
			'read the newsroom\'s replies to you and write as you. Take the codename out; ' +
			'nothing was sent.',
		codename_in_file:
			'{name} holds your codename ({count} or more of its words): take it out; nothing ' +
			'was sent.',

		// sending
		codename_deriving:
			'Making the keys of your codename: {percent}%. This takes from half a minute to ' +
			'several minutes (longer on a slow phone, or at Tor Browser\'s Safer level). Keep ' +
			'this page open.',
		pow:
			'Proof of work: your device solves a puzzle so the drop can tell real testimonies ' +
			'from floods of junk. It can take minutes on a slow phone. Keep this page open.',
		pow_mailbox:
			'Proof of work: your device solves a puzzle before the drop opens your mailbox. It ' +
			'can take a minute on a slow phone. Keep this page open.',
		sealing: 'Encrypting: {done} of {total}.',
		uploading: 'Encrypting and sending: {done} of {total}. Keep this page open.',
		retrying: 'Connection lost, retrying. Keep this page open.',
		restarted:
			'The drop restarted: sending again from the start (a new proof of work first). Keep ' +
			'this page open.',
		uploading_again:
			'The drop restarted: sending again from the start: {done} of {total}. Keep this ' +
			'page open.',
		resumed: 'Connection back: continuing where it stopped.',
		committing: 'Almost done: the drop is storing it.',
		leave_warning: 'Sending is not finished. Leaving this page stops it.',

		// done
		sent: 'Sent. The newsroom receives it encrypted; only its journalists can read it.',
		sent_already: 'Sent. The drop already had it stored.',
		sent_followup:
			'Follow-up sent. Your codename was cleared from this page: type it again to read ' +
			'replies.',
		sent_no_reply: 'Sent, without a codename: the newsroom cannot answer you.',
		done_heading: 'Your codename (shown only this once)',
		done_advice:
			'Write it down on paper and keep it where nobody at work can find it. Never keep it ' +
			'in a file, a photo, a chat or a cloud notes app, and never on a work device. With ' +
			'it you can read the newsroom\'s replies and send more as the same person; anyone ' +
			'who finds it can read those replies too.',
		// shown with the codename (done, and coming back). The codename is always 8 ENGLISH
		// words from the list: a translation says "The words are English words: copy them
		// exactly, letter for letter."
		codename_copy: 'Copy the words exactly, letter for letter.',
		done_written: 'I wrote it down',
		written_ask:
			'To check what you wrote, type two words of your codename from your paper: word ' +
			'{a} and word {b}. Then the codename is cleared from this page for good.',
		written_word: 'Word {position}',
		written_missing: 'Type word {position} of your codename from your paper first.',
		written_differs:
			'Word {position} is not the same as in your codename. Look at the codename above and ' +
			'correct your paper. The codename is still shown.',
		done_cleared:
			'The codename was cleared from this page. Come back in a few days with it to read ' +
			'replies ("I have a codename").',
		done_again: 'Send another testimony',

		// coming back
		back_heading: 'Read replies with your codename',
		codename_label: 'Your codename (8 words)',
		codename_show: 'Show the codename',
		codename_open: 'Read replies',
		codename_wrong_count: 'A codename is exactly 8 words; this has {count}.',
		codename_wrong_word:
			'Word {position} of the codename is not in the word list. Did you mean "{nearest}"?',
		codename_separators:
			'Separate the 8 words of the codename with spaces only, not with "-", ",", ".", ";" ' +
			'or "/".',
		codename_wrong_word_plain: 'Word {position} of the codename is not in the word list.',
		replies_fetching: 'Looking for replies…',
		replies_heading: 'Replies from the newsroom',
		replies_none: 'No replies are waiting. If you expected a reply, check every word of your ' +
			'codename: a wrong word opens another, empty mailbox.',
		reply_from: 'From {author}, {day}',
		reply_older_key: 'From {author} (older key), {day}',
		replies_forged_one:
			'1 reply did not come from a journalist of the newsroom and was not shown (forged?).',
		replies_forged:
			'{count} replies did not come from a journalist of the newsroom and were not shown ' +
			'(forged?).',
		replies_how_to_answer: 'To answer, send a follow-up below.',
		ack: 'Delete these replies from the drop',
		ack_confirm: 'Yes, delete them',
		ack_ask:
			'Delete these replies for good? Tap "Yes, delete them" to delete them; they cannot ' +
			'be read again.',
		ack_hint:
			'The drop holds their only copy: write down what you need first. Deleted replies ' +
			'cannot be read again.',
		acked: 'The replies were deleted from the drop.',
		forget: 'Forget the codename on this page',
		forgotten: 'The codename and its keys were cleared from this page.',

		// errors while talking to the drop (client.js codes)
		err_network:
			'The connection to the drop failed. Check that Tor Browser is connected, then try ' +
			'again.',
		err_overloaded: 'The drop is busy. Try again in a few minutes.',
		err_storage_full: 'The drop is full and cannot store more now. Try again in a day or two.',
		err_envelope_too_large: 'This is larger than the drop accepts. Send smaller files.',
		err_body_too_large: 'This is larger than the drop accepts. Send smaller files.',
		err_too_large: 'This is larger than the drop accepts. Send smaller files.',
		err_pow: 'The proof of work was refused. Try again.',
		err_forged: 'A reply could not be verified and was not shown.',
		err_file_changed:
			'A file changed or could not be read while it was sent. Choose it again; nothing ' +
			'more was sent.',
		err_malformed:
			'The drop answered something this page does not understand. Try again later; if it ' +
			'fails again, use the ghostdrop program instead.',
		err_other: 'It did not work ({code}). Try again; if it fails again, use the ghostdrop ' +
			'program instead.',
		err_kdf_memory:
			'This device ran out of memory making the codename\'s keys (they need ' +
			'256 MiB). Close other tabs and apps, then try again; or use the ghostdrop ' +
			'program on a computer.',
		err_nothing_sent: 'Nothing was stored.',
		err_may_have_arrived:
			'The connection broke after the testimony was sent, so it may have arrived. Pressing ' +
			'Send again with the same text and files is safe: the drop keeps one copy. If you ' +
			'change anything, it arrives as a second testimony.',
	},
	es,
	pt_BR,
	fil,
	sw,
	fr,
};
