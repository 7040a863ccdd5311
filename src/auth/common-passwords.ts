/**
 * Passwords too common to allow (ASVS 5.0 6.2.4: check new passwords against the most common
 * ones; ASVS 4.0.3 2.1.7). Only entries of 8+ characters are listed: anything shorter is already
 * refused by the length rule. Written out by hand from the well-known leaked-password top lists
 * (RockYou-derived top-N lists, NCSC's top 100k, yearly "worst passwords" lists): keyboard walks,
 * digit runs, "password"/"welcome"/"letmein" variants with the usual suffixes, season+year,
 * names, teams, plus context-specific words (the service's own name, template defaults like
 * `changethis`). All entries are lower-case: callers compare case-insensitively.
 *
 * This is a floor, not the top-3000/breached-password check the checklist recommends (section C
 * item 8); a k-anonymity breached-password lookup can be layered on top.
 */

/** Lower-case common passwords, each at least 8 characters long. */
export const COMMON_PASSWORDS: ReadonlySet<string> = new Set<string>([
  'password', '12345678', '123456789', '1234567890', '12345678910', '123456789012', '0123456789', '01234567',
  '0987654321', '9876543210', '987654321', '87654321', '11111111', '111111111', '1111111111', '00000000',
  '000000000', '0000000000', '88888888', '66666666', '99999999', '77777777', '55555555', '22222222',
  '12341234', '1234512345', '11223344', '112233445566', '12121212', '123123123', '123321123', '12344321',
  '123454321', '1234554321', '11112222', '147258369', '147852369', '741852963', '963852741', '159357456',
  '159753456', '123698745', 'qwertyuiop', 'qwertyui', 'qwerty12', 'qwerty123', 'qwerty1234', 'qwerty12345',
  'qwerty123456', '123456qwerty', 'qwerty11', 'qwerty1!', 'qwerty123!', 'qwertyuiop123', 'qwertzuiop',
  'azertyuiop', 'azerty123', '1q2w3e4r', '1q2w3e4r5t', '1q2w3e4r5t6y', 'q1w2e3r4', 'q1w2e3r4t5',
  'q1w2e3r4t5y6', '1qaz2wsx', '1qaz2wsx3edc', '1qazxsw2', '1qaz!qaz', '!qaz2wsx', '1qaz@wsx', '!qaz@wsx',
  'zaq12wsx', 'zaq1zaq1', 'zaq1xsw2', 'zaq1@wsx', 'qazwsxedc', 'qazwsx123', 'qazxswedc', 'zaqxswcde',
  '12qwaszx', 'qweasdzxc', 'qweasd123', '123qweasd', '123qweasdzxc', 'qwe123qwe', '123qwe123', 'qwe12345',
  'qweqweqwe', 'asdasdasd', 'zxczxczxc', 'qwer1234', '1234qwer', 'qwer4321', 'qwerqwer', 'qwerasdf',
  'asdfqwer', 'asdfghjkl', 'asdfghjk', 'asdfghjkl1', 'asdfghjkl123', 'asdfasdf', 'asdf1234', '1234asdf',
  'zxcvbnm1', 'zxcvbnm123', 'zxcvzxcv', 'zxcvbnma', 'poiuytrewq', 'lkjhgfdsa', 'mnbvcxz1', 'a1b2c3d4',
  'a1b2c3d4e5', '1a2b3c4d', '1a2b3c4d5e', 'a1s2d3f4', 'abcd1234', 'abcd12345', '1234abcd', 'abc12345',
  'abc123456', '12345abc', '123456abc', 'abc123abc', 'abcabcabc', 'abcdabcd', 'abcdefgh', 'abcdefg1',
  'abcdefghi', 'aa123456', 'a1234567', 'a12345678', 'a123456789', '12345678a', '123456789a', '12345qwert',
  'qwert12345', '!@#$%^&*', '!@#$%^&*()', '1234!@#$', 'aaaaaaaa', 'aaaaaaaaa', 'password1', 'password12',
  'password123', 'password1234', 'password12345', 'password01', 'password11', 'password2', 'password3',
  'password0', 'password!', 'password1!', 'password!1', 'password@1', 'password@123', 'password#1',
  'passw0rd', 'passw0rd!', 'passw0rd1', 'p@ssw0rd', 'p@ssw0rd1', 'p@ssw0rd!', 'p@ssword', 'p@ssword1',
  'p@55w0rd', 'pa$$word', 'pa$$w0rd', 'pa55word', 'pa55w0rd', 'passwort', 'passwort1', 'passwords',
  'password2019', 'password2020', 'password2021', 'password2022', 'password2023', 'password2024',
  'password2025', 'pass1234', 'pass12345', 'pass123456', 'pass@123', 'pass@1234', 'passpass', 'passpass1',
  'wordpass', 'drowssap', 'mypassword', 'mypass123', 'newpassword', 'newpass1', 'oldpassword', 'nopassword',
  'secret123', 'secret12', 'mysecret', 'iloveyou', 'iloveyou1', 'iloveyou2', 'iloveyou3', 'iloveyou12',
  'iloveyou123', 'iloveyou!', 'ihateyou', 'iloveme1', 'iloveu123', 'loveyou1', 'lovelove', 'lovely123',
  'sweetheart', 'sweetie1', 'beautiful', 'beautiful1', 'babygirl', 'babygirl1', 'princess', 'princess1',
  'sunshine', 'sunshine1', 'football', 'football1', 'football12', 'baseball', 'baseball1', 'basketball',
  'soccer123', 'hockey123', 'welcome1', 'welcome123', 'welcome!', 'welcome1!', 'welcome@123', 'welcome2020',
  'welcome2021', 'welcome2022', 'welcome2023', 'welcome2024', 'welcome2025', 'letmein1', 'letmein12',
  'letmein123', 'letmein!', 'letmein1!', 'trustno1', 'changeme', 'changeme1', 'changeme123', 'changeme!',
  'changethis', 'default1', 'default123', 'administrator', 'administrator1', 'admin123', 'admin1234',
  'admin12345', 'admin@123', 'admin@1234', 'adminadmin', 'rootroot', 'root1234', 'toor1234', 'test1234',
  'test12345', 'test@123', 'testtest', 'testing1', 'testing123', 'guest123', 'user1234', 'demo1234',
  'temp1234', 'temppass', 'temporary', 'login123', 'access14', 'access123', 'opensesame', 'hello123',
  'hello1234', 'hello@123', 'helloworld', 'hellokitty', 'goodluck', 'superman', 'superman1', 'batman123',
  'spiderman', 'starwars', 'starwars1', 'darthvader', 'skywalker', 'startrek', 'pokemon1', 'pokemon123',
  'minecraft', 'minecraft1', 'fortnite', 'nintendo', 'playstation', 'runescape', 'warcraft', 'counterstrike',
  'monkey123', 'dragon123', 'shadow123', 'master123', 'master12', 'hunter123', 'killer123', 'freedom1',
  'whatever', 'whatever1', 'computer', 'computer1', 'internet', 'security', 'security1', 'michael1',
  'jennifer', 'jessica1', 'michelle', 'danielle', 'victoria', 'samantha', 'elizabeth', 'christina',
  'caroline', 'alexander', 'christopher', 'christian', 'jonathan', 'benjamin', 'nicholas', 'anthony1',
  'charlie1', 'jordan23', 'jordan123', 'brandon1', 'midnight', 'maverick', 'scorpion', 'marlboro',
  'bigdaddy', 'mustang1', 'corvette', 'mercedes', 'ferrari1', 'porsche1', 'chocolate', 'chocolate1',
  'butterfly', 'butterfly1', 'elephant', 'pineapple', 'strawberry', 'blueberry', 'watermelon', 'sunflower',
  'snowflake', 'snowball', 'rainbow1', 'liverpool', 'liverpool1', 'arsenal1', 'chelsea1', 'manchester',
  'barcelona', 'realmadrid', 'juventus', 'steelers', 'yankees1', 'cowboys1', 'patriots', 'blink182',
  'metallica', 'slipknot', 'spongebob', 'spongebob1', 'cocacola', 'samsung1', 'samsung123', 'google123',
  'facebook', 'facebook1', 'linkedin', 'linkedin1', 'myspace1', 'microsoft', 'windows10', 'apple123',
  'pakistan', 'pakistan123', 'bangladesh', 'india123', 'india@123', 'jesus123', 'jesuschrist', 'godislove',
  'ilovegod', 'blessed1', 'blessing', 'family123', 'bestfriend', 'friendship', 'summer2019', 'summer2020',
  'summer2021', 'summer2022', 'summer2023', 'summer2024', 'summer2025', 'winter2020', 'winter2021',
  'winter2022', 'winter2023', 'winter2024', 'spring2023', 'spring2024', 'autumn2023', 'autumn2024',
  'summer123', 'mariposa', 'tequiero', 'teamo123', 'contrasena', 'contraseña', 'motdepasse', 'senha123',
  'hallo123', '18atcskd2w', '3rjs1la7qe', '1v7upjw3nt', 'specgate', 'specgate1', 'specgate123',
]);
