// The emoji data the lazy EmojiPicker bundles (unicode-emoji-json, MIT). Declared here because the app's
// tsconfig does not resolve JSON modules; Vite imports JSON natively.
declare module 'unicode-emoji-json/data-by-group.json' {
  const groups: {
    name: string;
    slug: string;
    emojis: { emoji: string; name: string; slug: string; skin_tone_support: boolean; emoji_version: string }[];
  }[];
  export default groups;
}
